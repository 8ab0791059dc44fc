"""The staff console: review conversations, annotate, export NLU data, charts, bookings.

A small Sanic app over the database Rasa's SQLTrackerStore writes (table `events`), with its
own tables for staff users, sessions, annotations, review marks, exports and the audit log.
"""
