"""What a business card read yields and how it is asked for: the contact's fields, the
result around them, the error for bytes that are no card photo, and the one interface every
card reader offers (in process, in a pool of processes, over HTTP to the OCR cluster).

A bottom layer like ``whatsapp_cloud``: it imports nothing else of this project. The gateway
depends on this contract, never on ``ocr_cluster``, which implements it.
"""
