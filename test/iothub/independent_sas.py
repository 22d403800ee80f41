#!/usr/bin/env python3
"""Computes an IoT Hub SAS token with Python's own hmac/base64/urllib, independently of hubgate.

usage: independent_sas.py HUB DEVICE KEY_B64 EXPIRY [POLICY]
"""
import base64
import hashlib
import hmac
import sys
import urllib.parse

hub, device, key, expiry = sys.argv[1:5]
policy = sys.argv[5] if len(sys.argv) > 5 else None
encoded_uri = urllib.parse.quote(f"{hub}/devices/{device}", safe="")
message = f"{encoded_uri}\n{expiry}".encode()
signature = base64.b64encode(hmac.new(base64.b64decode(key, validate=True), message, hashlib.sha256).digest())
token = f"SharedAccessSignature sr={encoded_uri}&sig={urllib.parse.quote(signature, safe='')}&se={expiry}"
if policy:
    token += f"&skn={urllib.parse.quote(policy, safe='')}"
print(token)
