"""Workflow: approval flows, rules such as safety-stock alerts, tasks, notifications."""
