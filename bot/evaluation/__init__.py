"""`newsbot eval`: score retrieval, answers and abstentions on question sets, beside baselines."""
