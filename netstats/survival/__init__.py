"""Survival analysis: Kaplan-Meier, log-rank, Cox models, PH checks, RMST, competing risks."""
