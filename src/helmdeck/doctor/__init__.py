"""helmdeck.doctor"""
