package dev.shallow.eval;

import dev.shallow.ShallowException;
import dev.shallow.analysis.Progress;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs tasks on a model: each task's first {@code limit} documents, their requests, per-document scores, aggregates and stderrs. */
public final class Evaluator {
    private Evaluator() {
    }

    /** {@code limit}: documents per task (0 = all); {@code bootstrapIters}: resamples for bootstrapped stderrs (harness default 100000). */
    public record Options(int limit, int bootstrapIters) {
        public Options {
            if (limit < 0) throw new ShallowException("--limit must be a positive number of documents, got " + limit);
        }
    }

    /** One document's requests, responses and metric samples (a --log-samples row). */
    public record DocResult(int doc, List<Request> requests, List<Response> responses, Map<String, Sample> samples) {
    }

    /** A metric's aggregate and its stderr (NaN where the harness reports "N/A"). */
    public record Score(Metric metric, double value, double stderr) {
    }

    public record TaskResult(Task task, List<DocResult> docs, List<Score> scores) {
        public int evaluated() {
            return docs.size();
        }
    }

    /** A group's scores: weighted by documents (the harness's number), plus the unweighted mean over its tasks. */
    public record GroupResult(TaskGroup group, int size, List<Score> scores, Map<String, Double> macro) {
    }

    public record Results(List<TaskResult> tasks, List<GroupResult> groups) {
    }

    public static Results evaluate(LanguageModel lm, List<Task> tasks, List<TaskGroup> groups, Options options, Progress progress) {
        List<Requests> requests = tasks.stream().map(t -> Requests.of(t, options)).toList();
        List<List<Response>> responses = lm.runEach(requests.stream().map(Requests::all).toList(), tasks.stream().map(Task::name).toList(), progress);
        List<TaskResult> results = new ArrayList<>();
        for (int t = 0; t < tasks.size(); t++) results.add(scored(tasks.get(t), requests.get(t), responses.get(t), options));
        return new Results(results, aggregateGroups(results, groups));
    }

    static TaskResult evaluate(LanguageModel lm, Task task, Options options, Progress progress) {
        Requests requests = Requests.of(task, options);
        return scored(task, requests, lm.runEach(List.of(requests.all()), List.of(task.name()), progress).getFirst(), options);
    }

    /** The requests of a task's first {@code limit} documents (all when 0), document after document; document d's from {@code first[d]}. */
    private record Requests(List<Request> all, int[] first) {
        static Requests of(Task task, Options options) {
            int n = options.limit() == 0 ? task.size() : Math.min(options.limit(), task.size());
            List<Request> requests = new ArrayList<>();
            int[] first = new int[n + 1];
            for (int d = 0; d < n; d++) {
                requests.addAll(task.requests(d));
                first[d + 1] = requests.size();
            }
            return new Requests(requests, first);
        }
    }

    /** Each document scored on its responses, and the task's metrics over the documents. */
    private static TaskResult scored(Task task, Requests requests, List<Response> responses, Options options) {
        int n = requests.first().length - 1;
        List<DocResult> docs = new ArrayList<>(n);
        Map<String, List<Sample>> byMetric = new LinkedHashMap<>();
        for (Metric m : task.metrics()) byMetric.put(m.name(), new ArrayList<>());
        for (int d = 0; d < n; d++) {
            List<Request> reqs = requests.all().subList(requests.first()[d], requests.first()[d + 1]);
            List<Response> resps = responses.subList(requests.first()[d], requests.first()[d + 1]);
            Map<String, Sample> samples = task.score(d, resps);
            for (Metric m : task.metrics()) byMetric.get(m.name()).add(samples.get(m.name()));
            docs.add(new DocResult(d, List.copyOf(reqs), List.copyOf(resps), samples));
        }
        List<Score> scores = new ArrayList<>();
        for (Metric m : task.metrics()) {
            List<Sample> s = byMetric.get(m.name());
            scores.add(new Score(m, m.aggregation().aggregate(s), Stderr.of(m.aggregation(), s, options.bootstrapIters())));
        }
        return new TaskResult(task, docs, scores);
    }

    /** Groups in the order given (members before the groups that contain them): acc etc. averaged over all member documents. */
    static List<GroupResult> aggregateGroups(List<TaskResult> tasks, List<TaskGroup> groups) {
        record Node(int size, List<Score> scores) {
        }
        Map<String, Node> nodes = new LinkedHashMap<>();
        Map<String, List<TaskResult>> leaves = new LinkedHashMap<>();
        for (TaskResult t : tasks) {
            nodes.put(t.task().name(), new Node(t.evaluated(), t.scores()));
            leaves.put(t.task().name(), List.of(t));
        }
        List<GroupResult> out = new ArrayList<>();
        for (TaskGroup g : groups) {
            List<Node> members = new ArrayList<>();
            List<TaskResult> groupLeaves = new ArrayList<>();
            for (String m : g.members()) {
                Node node = nodes.get(m);
                if (node == null) throw new IllegalStateException("group " + g.name() + " names " + m + ", which was not evaluated");
                members.add(node);
                groupLeaves.addAll(leaves.get(m));
            }
            int size = members.stream().mapToInt(Node::size).sum();
            List<Score> scores = new ArrayList<>();
            Map<String, Double> macro = new LinkedHashMap<>();
            for (Score first : members.getFirst().scores()) {
                Metric metric = first.metric();
                if (metric.aggregation() != Aggregation.MEAN) continue;
                double weighted = 0;
                double[] stderrs = new double[members.size()];
                int[] sizes = new int[members.size()];
                for (int i = 0; i < members.size(); i++) {
                    Score s = scoreOf(members.get(i).scores(), metric.name());
                    weighted += s.value() * members.get(i).size();
                    stderrs[i] = s.stderr();
                    sizes[i] = members.get(i).size();
                }
                scores.add(new Score(metric, weighted / size, Stderr.pooled(stderrs, sizes)));
                double mean = 0;
                for (TaskResult leaf : groupLeaves) mean += scoreOf(leaf.scores(), metric.name()).value();
                macro.put(metric.name(), mean / groupLeaves.size());
            }
            nodes.put(g.name(), new Node(size, scores));
            leaves.put(g.name(), groupLeaves);
            out.add(new GroupResult(g, size, scores, macro));
        }
        return out;
    }

    private static Score scoreOf(List<Score> scores, String metric) {
        for (Score s : scores) if (s.metric().name().equals(metric)) return s;
        throw new IllegalStateException("no metric " + metric);
    }
}
