"""producer.preproduction"""
