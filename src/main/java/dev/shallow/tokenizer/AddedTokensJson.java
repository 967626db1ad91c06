package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The "added_tokens" of a tokenizer.json, read as tokenizers' AddedVocabulary reads them. */
final class AddedTokensJson {
    private AddedTokensJson() {
    }

    static AddedTokens read(JsonNode list, Normalizer normalizer, Vocab vocab, Spec spec) {
        List<AddedTokens.Token> tokens = new ArrayList<>();
        if (list == null) return AddedTokens.of(tokens, normalizer);
        // HF: added_tokens is a sequence ("invalid type: null, expected a sequence")
        if (!list.isArray()) throw spec.fail("added_tokens: not an array");
        for (int i = 0; i < list.size(); i++) tokens.add(token(list.get(i), "added_tokens[" + i + "]", spec));
        checkIds(tokens, vocab, spec);
        return AddedTokens.of(tokens, normalizer);
    }

    /** HF's AddedToken: id, content and the five flags are all required ("missing field `normalized`"). */
    private static AddedTokens.Token token(JsonNode t, String path, Spec spec) {
        if (!t.isObject()) throw spec.fail(path + ": not a JSON object");
        return new AddedTokens.Token(spec.integer(t, "id", path), spec.text(t, "content", path), spec.flag(t, "special", path),
                spec.flag(t, "lstrip", path), spec.flag(t, "rstrip", path), spec.flag(t, "normalized", path), spec.flag(t, "single_word", path));
    }

    /**
     * HF ignores the ids written in added_tokens (AddedVocabulary::add_tokens): a token gets its vocab id (an earlier
     * added token's, for repeated content), else the next id after the vocab's vocab.len() and every added id so far.
     * A file whose ids say otherwise encodes differently in HF, so it is refused.
     */
    private static void checkIds(List<AddedTokens.Token> tokens, Vocab vocab, Spec spec) {
        Map<String, Integer> given = new HashMap<>();
        int next = vocab.count();
        for (int i = 0; i < tokens.size(); i++) {
            AddedTokens.Token t = tokens.get(i);
            if (t.content().isEmpty()) continue; // HF skips tokens with empty content
            Integer known = given.getOrDefault(t.content(), vocab.id(t.content()));
            int hf = known != null ? known : next;
            if (t.id() != hf) {
                throw spec.fail("added_tokens[" + i + "].id: " + t.id() + ", but \"" + t.content() + "\" has id " + hf
                        + " in Hugging Face tokenizers (its vocab id, else the next id after the vocab and the added tokens)");
            }
            given.put(t.content(), hf);
            next = Math.max(next, hf + 1);
        }
    }
}
