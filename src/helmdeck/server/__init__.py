"""helmdeck.server"""
