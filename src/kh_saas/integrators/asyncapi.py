"""The AsyncAPI 3.0 document of the integrators' channels: feed, stream and webhooks.

Built from the contract (types and their schemas), so it cannot drift from what is sent.
Served at ``GET /v1/events/asyncapi.json``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from kh_saas import __version__
from kh_saas.integrators.contract import TYPES
from kh_saas.integrators.schemas import ENVELOPE, load


def _message_name(type_: str) -> str:
    return type_.removeprefix("vn.khuyenhoc.").replace(".", "_")


@cache
def document() -> dict[str, Any]:
    envelope = load(ENVELOPE)
    messages: dict[str, Any] = {}
    for type_ in sorted(TYPES):
        data = {k: v for k, v in load(type_).items() if k != "$schema"}
        payload = {
            **{k: v for k, v in envelope.items() if k not in {"$schema", "$id"}},
            "properties": {
                **envelope["properties"],
                "type": {"const": type_},
                "dataschema": {"const": data["$id"]},
                "data": data,
            },
        }
        messages[_message_name(type_)] = {
            "name": type_,
            "title": type_,
            "summary": TYPES[type_],
            "contentType": "application/cloudevents+json",
            "payload": payload,
        }
    refs = {name: {"$ref": f"#/components/messages/{name}"} for name in messages}
    slug = {"slug": {"description": "The province (tenant), e.g. quang-tri"}}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "kh-saas public events",
            "version": __version__,
            "description": (
                "Recognitions, awards and decisions of Vietnam's learning-society movement "
                "(Khuyến học), per province, as CloudEvents 1.0 (structured JSON). Every "
                "channel carries the same events in the same order (`sequence`, the position "
                "in the province's log); none skips what another delivers. Integrator keys "
                "(`Authorization: Bearer <key>`) read them."
            ),
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {
            "kh-saas": {
                "host": "kh-saas.local",
                "protocol": "https",
                "description": "The service itself (any host it is reached at).",
                "security": [{"$ref": "#/components/securitySchemes/apiKey"}],
            }
        },
        "channels": {
            "feed": {
                "address": "/v1/t/{slug}/events",
                "title": "Pull feed",
                "description": (
                    "`GET ?after=<sequence>&limit=<1..1000>&types=<t1,t2>` answers "
                    '`{"items": [CloudEvent…], "next_after": int}`: strictly after `after`, '
                    "in order; continue from `next_after`."
                ),
                "parameters": slug,
                "messages": refs,
            },
            "stream": {
                "address": "/v1/t/{slug}/events/stream",
                "title": "Live stream (Server-Sent Events)",
                "description": (
                    "`id:` the sequence, `event:` the type, `data:` the CloudEvent; resumes "
                    "strictly after `Last-Event-ID` (or `?after=`); keep-alive comments every "
                    "15 s; `types` filters."
                ),
                "parameters": slug,
                "messages": refs,
            },
            "webhooks": {
                "address": "{url}",
                "title": "Webhooks (Standard Webhooks 1.0)",
                "description": (
                    "POSTed to each endpoint registered at `/v1/t/{slug}/webhooks`, in "
                    "`sequence` order, at least once; headers `webhook-id` (stable across "
                    "retries: dedupe by it), `webhook-timestamp`, `webhook-signature`; the "
                    "body is the CloudEvent."
                ),
                "parameters": {"url": {"description": "The endpoint's URL"}},
                "messages": refs,
            },
        },
        "operations": {
            "readFeed": {
                "action": "receive",
                "channel": {"$ref": "#/channels/feed"},
                "summary": "Page through the province's public events",
            },
            "followStream": {
                "action": "receive",
                "channel": {"$ref": "#/channels/stream"},
                "summary": "Follow the province's public events as they commit",
            },
            "receiveWebhook": {
                "action": "send",
                "channel": {"$ref": "#/channels/webhooks"},
                "summary": "kh-saas delivers each public event to a registered endpoint",
            },
        },
        "components": {
            "messages": messages,
            "securitySchemes": {
                "apiKey": {
                    "type": "httpApiKey",
                    "name": "Authorization",
                    "in": "header",
                    "description": "`Bearer <key>` of an integrator key of the province",
                }
            },
        },
    }
