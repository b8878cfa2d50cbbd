package fhir

// SetBulkBatches makes an export gather n patients a step and one job take
// perJob steps, until the returned function puts them back.
func SetBulkBatches(n, perJob int) (restore func()) {
	b, j := bulkBatch, bulkBatchesPerJob
	bulkBatch, bulkBatchesPerJob = n, perJob
	return func() { bulkBatch, bulkBatchesPerJob = b, j }
}
