"""Review sampling (核查): random draws of recordings per officer, and the reviewers' verdicts."""
