package shell

// MaxUploadBytes bounds an image upload's whole request: the largest image
// (store.MaxImageBytes) and the rest of the form.
const MaxUploadBytes = 6 << 20
