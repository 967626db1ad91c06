package dev.shallow.eval.task;

import dev.shallow.eval.Response;

import java.util.List;

/** The one response of a task that makes one request per document. */
final class SingleResponse {
    private SingleResponse() {
    }

    static <T extends Response> T of(List<Response> responses, Class<T> type) {
        if (responses.size() != 1 || !type.isInstance(responses.getFirst())) {
            throw new IllegalArgumentException("expected one " + type.getSimpleName() + " response, got " + responses);
        }
        return type.cast(responses.getFirst());
    }
}
