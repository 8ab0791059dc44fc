"""Answer editing with review: an editor proposes a new wording for a topic's answer, sees it
rendered with the clinic's settings and its sources, another staff member approves it, and
the approved change is exported as a patch to knowledge/topics.yml, validated first."""
