"""producer.office"""
