"""producer.mastering"""
