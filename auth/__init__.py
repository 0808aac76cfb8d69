"""Who may use xiaobao: users, their roles and the firm a member is bound to (issue 10)."""
