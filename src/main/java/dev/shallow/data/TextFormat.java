package dev.shallow.data;

/** How a calibration file is cut into documents. */
public enum TextFormat {
    /** One JSON object per line; the document is one string field of it. */
    JSONL,
    /** Plain text; documents are separated by lines holding only {@code <|endoftext|>} (TinyStories), else the file is one document. */
    TEXT,
    /** WikiText raw: one document per article, an article starting at a top-level heading line " = Title = ". */
    WIKITEXT
}
