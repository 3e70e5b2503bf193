"""From answers to a track: scoring, the policy, the model, its training and its explanations.

Nothing here knows of Flask requests: ``store`` keeps predictions and consultants' decisions in
the database, the rest are pure functions and the model.
"""
