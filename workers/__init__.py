"""Model workers: the Celery app and tasks, the shared multi-task model, training and evaluation.

Workers never talk to a platform; the bot never imports this package's model code.
"""
