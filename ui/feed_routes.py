"""The feed routes: list the polled feeds with their last poll, add one (polled at once), remove one."""

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from ui.service import Service

FEEDS = "feeds"


class FeedStatus(BaseModel):
    url: str
    origin: str = Field(description="settings: listed in RAG_FEEDS; api: added through POST /feeds or the UI.")
    added: str
    last_poll: str | None = Field(None, description="When it was last fetched (UTC, ISO 8601).")
    last_status: str | None = Field(None, description="ok, not modified, or error.")
    last_error: str | None = None
    last_success: str | None = Field(None, description="When it was last polled without error (UTC, ISO 8601).")
    new_articles: int = Field(0, description="Articles added or changed by the last poll.")
    total_new: int = 0
    polls: int = 0
    failures: int = Field(0, description="Failed polls in a row: each one doubles the wait, up to 8 intervals.")


class NewFeed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, max_length=2000, description="An RSS or Atom feed URL (http or https).")


def build_feeds_router(service: Service) -> APIRouter:
    router = APIRouter()

    @router.get("/feeds", operation_id="list_feeds", tags=[FEEDS], response_model=list[FeedStatus])
    def list_feeds() -> list[dict]:
        """The feeds this server polls every RAG_FEED_INTERVAL seconds, with how their last poll went."""
        return service.feeds.list()

    @router.post("/feeds", operation_id="add_feed", tags=[FEEDS], response_model=FeedStatus, status_code=201,
                 responses={422: {}})  # fmt: skip
    def add_feed(feed: NewFeed) -> dict:
        """Poll a feed from now on (the first poll starts at once). Like POST /articles, it may not reach
        private, loopback or link-local addresses unless RAG_FETCH_ALLOW_PRIVATE=1."""
        added = service.feeds.add(feed.url)
        service.feeds.start()  # a server started without warming up polls from its first added feed
        return added

    @router.delete("/feeds", operation_id="delete_feed", tags=[FEEDS], response_model=FeedStatus,
                   responses={404: {}, 422: {}})  # fmt: skip
    def delete_feed(url: str = Query(..., max_length=2000, description="The feed's URL, as listed.")) -> dict:
        """Stop polling a feed added through the API (its articles stay indexed; DELETE /articles removes them)."""
        try:
            return service.feeds.remove(url)
        except KeyError:
            raise HTTPException(404, f"no feed {url!r} is polled") from None

    return router
