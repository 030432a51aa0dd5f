"""helmdeck.revisions"""
