package webhook

// PruneSQL is Prune's statement, for the test of its plan.
const PruneSQL = pruneSQL
