"""Where a request comes from, as a keyed hash of its network (never the address itself).

Supports and reports keep `network_hash`: the client's /24 (IPv4) or /48 (IPv6) network, hashed
with a key derived from SECRET_KEY, so moderators can see bursts from one network without the
database holding anyone's IP address. Outside a request (CLI, jobs, tests) there is none.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress

from flask import current_app, has_request_context, request

IPV4_PREFIX = 24
IPV6_PREFIX = 48


def network_hash_of(address: str | None) -> str | None:
    """The keyed hash of the address's network, or None for no (or no valid) address."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    network = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), b"kyoso-network-hash",
                   hashlib.sha256).digest()
    return hmac.new(key, str(network).encode(), hashlib.sha256).hexdigest()[:32]


def current_network_hash() -> str | None:
    """The network hash of the request being handled (a column default), else None."""
    if not has_request_context():
        return None
    return network_hash_of(request.remote_addr)
