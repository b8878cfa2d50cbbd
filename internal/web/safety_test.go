package web

func init() {
	for k, v := range safetyPolicy {
		policy[k] = v
	}
}

// safetyPolicy is the session safety settings' rows of the route matrix:
// prescribers change them, administrators read them; an empty form is
// refused at its fields.
//
//	anon half pA   pB   thea theo rex  admin
var safetyPolicy = map[string]map[string]int{
	"GET /settings/dosing":  m(303, 303, 404, 404, 404, 404, 200, 200),
	"POST /settings/dosing": m(303, 303, 404, 404, 404, 404, 422, 404),
}
