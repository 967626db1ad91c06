package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A tokenizers pre-tokenizer (pre_tokenizers/*.rs): cuts a normalized segment into the words BPE sees. */
interface PreTokenizer {

    /**
     * A piece of text on its way to the model. {@code atStart}: it begins at offset 0 of the original
     * input (what Metaspace's prepend_scheme "first" tests).
     */
    record Piece(String text, boolean atStart) {
    }

    /** Appends the non-empty pieces {@code piece} splits into to {@code out}. */
    void split(Piece piece, List<Piece> out);

    /** The pre-tokenizer a tokenizer.json "pre_tokenizer" object describes. */
    static PreTokenizer from(JsonNode node, Spec spec) {
        String type = spec.type(node, "pre_tokenizer");
        return switch (type) {
            case "Sequence" -> new Chain(spec.components(node, "pretokenizers", "pre_tokenizer Sequence", PreTokenizer::from));
            case "Split" -> new Split(spec.pattern(node, "pre_tokenizer Split"),
                    Behavior.from(spec.text(node, "behavior", "pre_tokenizer Split"), spec), spec.flag(node, "invert", "pre_tokenizer Split", false));
            case "ByteLevel" -> new ByteLevel(spec.flag(node, "add_prefix_space", "pre_tokenizer ByteLevel", true),
                    spec.flag(node, "use_regex", "pre_tokenizer ByteLevel", true));
            case "Metaspace" -> Metaspace.from(node, spec);
            case "Digits" -> new Split(Pattern.compile("\\p{N}"),
                    spec.flag(node, "individual_digits", "pre_tokenizer Digits", false) ? Behavior.ISOLATED : Behavior.CONTIGUOUS, false);
            default -> throw spec.unknown("pre_tokenizer", type);
        };
    }

    /** pre_tokenizers::Sequence: each pre-tokenizer splits the pieces of the one before. */
    record Chain(List<PreTokenizer> parts) implements PreTokenizer {
        public void split(Piece piece, List<Piece> out) {
            List<Piece> current = List.of(piece);
            for (PreTokenizer p : parts) {
                List<Piece> next = new ArrayList<>();
                for (Piece q : current) p.split(q, next);
                current = next;
            }
            out.addAll(current);
        }
    }

    /** SplitDelimiterBehavior: what becomes of the pattern's matches (tokenizers normalizer.rs). */
    enum Behavior {
        REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS;

        static Behavior from(String name, Spec spec) {
            return switch (name) {
                case "Removed" -> REMOVED;
                case "Isolated" -> ISOLATED;
                case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
                case "MergedWithNext" -> MERGED_WITH_NEXT;
                case "Contiguous" -> CONTIGUOUS;
                default -> throw spec.fail("pre_tokenizer Split: unknown behavior \"" + name + "\"");
            };
        }
    }

    /** pre_tokenizers::Split, and NormalizedString::split with its five behaviors. */
    record Split(Pattern pattern, Behavior behavior, boolean invert) implements PreTokenizer {
        public void split(Piece piece, List<Piece> out) {
            String s = piece.text();
            // spans {start, end, 1 if a match} covering s, as Pattern::find_matches gives them
            List<int[]> spans = new ArrayList<>();
            Matcher m = pattern.matcher(s);
            int prev = 0;
            while (m.find()) {
                if (prev != m.start()) spans.add(new int[] {prev, m.start(), invert ? 1 : 0});
                spans.add(new int[] {m.start(), m.end(), invert ? 0 : 1});
                prev = m.end();
            }
            if (prev != s.length()) spans.add(new int[] {prev, s.length(), invert ? 1 : 0});
            List<int[]> kept = new ArrayList<>();
            for (int i = 0; i < spans.size(); i++) {
                int[] span = spans.get(i);
                boolean match = span[2] == 1;
                boolean prevMatch = i > 0 && spans.get(i - 1)[2] == 1;
                boolean nextIsGap = i + 1 < spans.size() && spans.get(i + 1)[2] == 0;
                boolean joinPrevious = !kept.isEmpty() && switch (behavior) {
                    case MERGED_WITH_PREVIOUS -> match && !prevMatch;
                    case CONTIGUOUS -> match == prevMatch;
                    default -> false;
                };
                if (behavior == Behavior.REMOVED && match) continue;
                if (joinPrevious) {
                    kept.getLast()[1] = span[1];
                } else if (behavior == Behavior.MERGED_WITH_NEXT && match && nextIsGap) {
                    kept.add(new int[] {span[0], spans.get(++i)[1]});
                } else {
                    kept.add(new int[] {span[0], span[1]});
                }
            }
            for (int[] k : kept) emit(piece, s.substring(k[0], k[1]), k[0], out);
        }
    }

    /** pre_tokenizers::ByteLevel: optional leading space, GPT-2's regex, then bytes as stand-in characters. */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        static final Split GPT2 = new Split(Pattern.compile(
                "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
                Pattern.UNICODE_CHARACTER_CLASS), Behavior.ISOLATED, false);

        public void split(Piece piece, List<Piece> out) {
            Piece p = addPrefixSpace && !piece.text().startsWith(" ") ? new Piece(" " + piece.text(), piece.atStart()) : piece;
            List<Piece> words = new ArrayList<>();
            if (useRegex) GPT2.split(p, words);
            else words.add(p);
            for (Piece w : words) out.add(new Piece(ByteLevelTable.encode(w.text()), w.atStart()));
        }
    }

    /** pre_tokenizers::Metaspace: spaces become the replacement, which is prepended per the scheme and starts each word. */
    record Metaspace(String replacement, String prependScheme, Split words) implements PreTokenizer {
        /** {@code words} is null when "split" is false. */
        static Metaspace from(JsonNode node, Spec spec) {
            String replacement = spec.text(node, "replacement", "pre_tokenizer Metaspace", "\u2581");
            String scheme = prependScheme(node, spec, "pre_tokenizer Metaspace");
            Split words = new Split(Pattern.compile(Pattern.quote(replacement)), Behavior.MERGED_WITH_NEXT, false);
            return new Metaspace(replacement, scheme, spec.flag(node, "split", "pre_tokenizer Metaspace", true) ? words : null);
        }

        /** "always", "first" or "never"; older files say add_prefix_space instead. */
        static String prependScheme(JsonNode node, Spec spec, String where) {
            String legacy = spec.flag(node, "add_prefix_space", where, true) ? "always" : "never";
            String scheme = spec.text(node, "prepend_scheme", where, legacy).toLowerCase(Locale.ROOT);
            if (!List.of("always", "first", "never").contains(scheme)) throw spec.fail(where + ": unknown prepend_scheme \"" + scheme + "\"");
            return scheme;
        }

        public void split(Piece piece, List<Piece> out) {
            String s = piece.text().replace(" ", replacement);
            boolean prepend = switch (prependScheme) {
                case "always" -> true;
                case "first" -> piece.atStart();
                default -> false;
            };
            if (prepend && !s.startsWith(replacement)) s = replacement + s;
            Piece p = new Piece(s, piece.atStart());
            if (words != null) words.split(p, out);
            else out.add(p);
        }
    }

    /** Adds {@code text} (at {@code offset} in {@code parent}) to {@code out} unless empty, as PreTokenizedString::split does. */
    private static void emit(Piece parent, String text, int offset, List<Piece> out) {
        if (!text.isEmpty()) out.add(new Piece(text, parent.atStart() && offset == 0));
    }
}
