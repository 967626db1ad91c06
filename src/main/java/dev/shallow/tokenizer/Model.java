package dev.shallow.tokenizer;

/** A tokenization model over a vocabulary: the ids of one run of text (a pre-tokenized word, or a whole SentencePiece segment). */
interface Model {

    /** Appends the ids of {@code text} to {@code out}. */
    void tokenize(String text, IntList out);

    Vocab vocab();
}
