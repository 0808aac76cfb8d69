"""xiaobao: 消保 analytics for an insurance-industry association."""
