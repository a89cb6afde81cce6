"""Printable certificates of a decision (in giấy công nhận, bằng khen, giấy khen): one PDF page
per recipient, each with the QR code of its public verification page (``/verify/…``).

The PDF is drawn in a worker thread into a temporary file and streamed from there, so a
10,000-page decision holds neither the event loop nor the whole document in the response.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from typing import IO, Annotated, Any
from uuid import UUID

import anyio
from litestar import Controller, Request, get
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from kh_saas.api.auth import current_tenant, roles
from kh_saas.api.problems import PROBLEM_TYPES, ProblemError, problem_responses
from kh_saas.api.reading import MinPosition, pool_of, read_position, table
from kh_saas.api.tenant_common import in_thread, service_of
from kh_saas.certificates.render import render
from kh_saas.certificates.sources import (
    Printable,
    award_decision,
    award_pages,
    recognition_decision,
    recognition_pages,
    village_keys,
    village_names,
)
from kh_saas.certificates.wording import FORM_NAMES, Certificate
from kh_saas.storage.eventstore import EVENTS_TABLE
from kh_saas.storage.migrations import quote_ident
from kh_saas.tenants.roles import Role

READERS = (Role.TENANT_ADMIN, Role.OFFICER, Role.REVIEWER, Role.SIGNER, Role.AUDITOR)
PDF = "application/pdf"
CHUNK = 256 * 1024
RECOGNITION_TOPIC = "kh_saas.domain.recognitions:RecognitionDecision.Recorded"
AWARD_TOPIC = "kh_saas.domain.awards:AwardDecision.Signed"
_DESCRIPTION = (
    "One A4 landscape page per recipient with the text of the certificate — recipient's name "
    "and village or commune, the title or achievement, the decision's number and date, the "
    "issuing office, the signer's position and name — and a QR code of the public page "
    "`/verify/{slug}/{id}` that says whether it is genuine and in force. Recipients whose "
    "title was since revoked (award annulled) get no page; `KH-Withheld` counts them. A "
    "decision of more than 10,000 recipients prints in parts of 10,000 (`part`, default 1; "
    "`KH-Parts` says how many, `Link: rel=next` where the next is)."
)

PROBLEM_TYPES.update(
    {
        "nothing_to_print": (
            "Nothing to print",
            "Every recipient of the decision had the title revoked or the award annulled: no "
            "certificate of it is in force.",
        ),
    }
)

#: Pages per PDF: reportlab holds a document's pages until it is saved (~15 KB each), so a
#: 50,000-recipient decision prints in five parts of at most ~150 MB of drawing each.
PART_SIZE = 10_000
Part = Annotated[
    int,
    QueryParameter(
        ge=1, le=100, description="Which 10,000 recipients (1: the first)", required=False
    ),
]

Pages = Callable[[Printable, dict[tuple[str, str], str]], Iterator[Certificate]]


class CertificateController(Controller):
    path = "/v1/t/{slug:str}"
    tags = ["certificates"]  # noqa: RUF012

    @get(
        "/decisions/{decision_id:uuid}/certificates.pdf",
        opt=roles(*READERS),
        media_type=PDF,
        summary="Giấy công nhận of a recognition decision, one page per recipient (PDF)",
        description=_DESCRIPTION,
        responses=problem_responses(401, 403, 404, 409),
    )
    async def recognitions(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        decision_id: FromPath[UUID],
        min_position: MinPosition = None,
        part: Part = 1,
    ) -> Stream:
        position = await read_position(request, "registers", min_position)
        tenant = current_tenant(request)
        async with pool_of(request).acquire() as conn:
            printable = await recognition_decision(
                conn, table(tenant, "decisions"), table(tenant, "recognitions"), decision_id
            )
            if printable is None:
                await _missing(conn, tenant.schema_name, decision_id, RECOGNITION_TOPIC)
        assert printable is not None
        base = service_of(request).settings.public_base
        return await _pdf(
            request,
            printable,
            lambda p, v: recognition_pages(p, v, base=base, slug=slug),
            title=f"Giấy công nhận — Quyết định số {printable.decision['number']}",
            position=position,
            part=part,
        )

    @get(
        "/award-decisions/{decision_id:uuid}/certificates.pdf",
        opt=roles(*READERS),
        media_type=PDF,
        summary="Bằng khen / Giấy khen of an award decision, one page per recipient (PDF)",
        description=_DESCRIPTION,
        responses=problem_responses(401, 403, 404, 409),
    )
    async def awards(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        decision_id: FromPath[UUID],
        min_position: MinPosition = None,
        part: Part = 1,
    ) -> Stream:
        position = await read_position(request, "registers", min_position)
        tenant = current_tenant(request)
        async with pool_of(request).acquire() as conn:
            printable = await award_decision(
                conn, table(tenant, "award_decisions"), table(tenant, "awards"), decision_id
            )
            if printable is None:
                await _missing(conn, tenant.schema_name, decision_id, AWARD_TOPIC)
        assert printable is not None
        base = service_of(request).settings.public_base
        form = FORM_NAMES.get(printable.decision["form"] or "", "Khen thưởng")
        return await _pdf(
            request,
            printable,
            lambda p, v: award_pages(p, v, base=base, slug=slug),
            title=f"{form} — Quyết định số {printable.decision['number']}",
            position=position,
            part=part,
        )


async def _missing(conn: Any, schema: str, decision_id: UUID, topic: str) -> None:
    """404, unless the decision is recorded and the read model has not caught up (503)."""
    recorded = await conn.fetchval(
        f"SELECT 1 FROM {quote_ident(schema)}.{EVENTS_TABLE}"
        " WHERE originator_id = $1 AND originator_version = 1 AND topic = $2",
        decision_id,
        topic,
    )
    if recorded:
        raise ProblemError(
            503,
            "projection_behind",
            "The decision is recorded but not yet in the registers; retry shortly.",
            headers={"Retry-After": "1"},
        )
    raise ProblemError(404, "not_found", f"No decision {decision_id}.")


async def _pdf(
    request: Request[Any, Any, Any],
    printable: Printable,
    pages: Pages,
    *,
    title: str,
    position: int,
    part: int,
) -> Stream:
    if not printable.recipients:
        raise ProblemError(
            409,
            "nothing_to_print",
            f"Every recipient's recognition or award was revoked or annulled "
            f"({printable.withheld}); no certificate is in force.",
        )
    parts = math.ceil(len(printable.recipients) / PART_SIZE)
    if not 1 <= part <= parts:
        raise ProblemError(
            422, "validation_failed", f"part is 1 to {parts} for this decision", field="part"
        )
    printable = replace(
        printable, recipients=printable.recipients[(part - 1) * PART_SIZE : part * PART_SIZE]
    )
    app = service_of(request).app_for(current_tenant(request))
    keys = village_keys(printable.recipients)
    signed_on = printable.decision["signed_on"]
    author = printable.decision["issuer_name"]

    def draw() -> IO[bytes]:
        villages = village_names(app.get_many, keys, signed_on) if keys else {}
        out = tempfile.TemporaryFile(prefix="kh-certificates-")  # noqa: SIM115 - streamed, then closed
        try:
            render(pages(printable, villages), out, title=title, author=author)
            out.seek(0)
        except BaseException:
            out.close()
            raise
        return out

    out = await in_thread(draw)
    size = out.seek(0, 2)
    out.seek(0)
    decision_id = printable.decision["id"]
    return Stream(
        _chunks(out),
        media_type=PDF,
        headers={
            "Content-Length": str(size),
            "Content-Disposition": f'inline; filename="certificates-{decision_id}.pdf"',
            "KH-Position": str(position),
            "KH-Certificates": str(len(printable.recipients)),
            "KH-Withheld": str(printable.withheld),
            "KH-Part": str(part),
            "KH-Parts": str(parts),
            **(
                {"Link": f'<{request.url.path}?part={part + 1}>; rel="next"'}
                if part < parts
                else {}
            ),
        },
    )


async def _chunks(out: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await anyio.to_thread.run_sync(out.read, CHUNK):
            yield chunk
    finally:
        out.close()
