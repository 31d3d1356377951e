"""Cases, evidence attachments, retention and legal hold, access approvals, court exports."""
