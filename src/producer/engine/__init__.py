"""producer.engine"""
