"""The corpus schema: required fields and their controlled vocabularies."""

from __future__ import annotations

from framelens.data.tasks import FRAME, STANCE

REQUIRED_FIELDS = ("id", "text", "frame", "stance", "conflict", "register", "source_type", "split")
# version: "v1" (the first corpus) or "v2" (real-news registers, codebook C11-C15), so
# every score can be sliced by it.
OPTIONAL_FIELDS = ("event_group", "tags", "version")

REGISTERS = (
    "wire_report",
    "un_statement",
    "ngo_report",
    "government_statement",
    "military_press_release",
    "state_media",
    "op_ed",
    "live_blog",
    "social_media",
    "diplomatic_speech",
    # Corpus v2: the shapes of real reporting the first corpus lacked.
    "monitoring_report",
    "headline",
    "photo_caption",
    "local_news",
)
SOURCE_TYPES = (
    "journalist",
    "un_official",
    "ngo_worker",
    "government_official",
    "military_spokesperson",
    "state_media",
    "analyst",
    "resident_witness",
    "armed_group",
    "diplomat",
    "medic_rescuer",
    "monitor",
)
TAGS = (
    "neutral_mention",
    "reported_frame",
    "both_frames",
    "keyword_free",
    "hedge_scare_quote",
    "negation",
    # Corpus v2 hard cases (codebook C11-C14).
    "keyword_present_neutral",
    "labelled_perpetrator_harm",
    "background_toll",
    "attribution_stance",
)
# Strings whose absence makes a framed sentence "keyword-free".
FRAME_KEYWORDS = ("terror", "civilian", "humanitarian", "extremis", "jihad")

VOCABULARIES: dict[str, tuple[str, ...]] = {
    "frame": FRAME.labels,
    "stance": STANCE.labels,
    "register": REGISTERS,
    "source_type": SOURCE_TYPES,
    "split": ("train", "dev", "test"),
}
