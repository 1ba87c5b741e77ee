"""The dispatcher: render ready messages and digests in their recipient's language and deliver them."""

from prefect import flow

from pathways.orchestration.tasks import dispatch_ready


@flow(name="dispatch", description="Render and deliver every ready message and digest (Apprise).")
def dispatch(batch: int = 100) -> dict[str, int]:
    """Drain the ready messages, `batch` claimed at a time."""
    return dispatch_ready(batch)
