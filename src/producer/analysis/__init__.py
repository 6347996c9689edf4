"""producer.analysis"""
