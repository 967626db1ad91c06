package dev.shallow.eval;

import java.util.List;

/** A named group of tasks or other groups whose metrics are averaged over all their documents (the harness's weight_by_size). */
public record TaskGroup(String name, List<String> members) {
    public TaskGroup {
        members = List.copyOf(members);
    }
}
