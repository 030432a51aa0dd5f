"""helmdeck.plan"""
