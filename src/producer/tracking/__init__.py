"""producer.tracking"""
