package dev.shallow.cli;

import dev.shallow.ShallowException;
import dev.shallow.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Encode text to token ids (a JSON array), or decode ids back to text.")
final class TokenizeCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "MODEL_OR_TOKENIZER_JSON",
            description = "Model directory, tokenizer.json, SentencePiece tokenizer.model or .gguf file (default: the bundled stories260K).")
    Path source;

    @ArgGroup(multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", description = "Text to encode.")
        String text;

        @Option(names = "--decode", paramLabel = "IDS", description = "Ids to decode: a JSON array or comma-separated.")
        String ids;
    }

    @Option(names = "--special", description = "Add the tokenizer's special tokens (e.g. BOS) when encoding; keep them when decoding.")
    boolean special;

    @Override
    public Integer call() {
        Tokenizer tok = Tokenizer.load(Defaults.modelOrDefault(source));
        if (input.text != null) {
            System.out.println(Arrays.toString(tok.encode(input.text, special)));
        } else {
            System.out.println(tok.decode(parseIds(input.ids), !special));
        }
        return 0;
    }

    static int[] parseIds(String s) {
        String body = s.strip().replaceAll("^\\[|]$", "").strip();
        if (body.isEmpty()) return new int[0];
        try {
            return Arrays.stream(body.split("\\s*,\\s*|\\s+")).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new ShallowException("--decode: not a list of integer ids: " + s);
        }
    }
}
