using FraudStream.Core.Latency;
using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using FraudStream.Core.Contracts;
using FraudStream.Core.Identifiers;
using FraudStream.Pipeline.Latency;
using FraudStream.Core.Stages;
using FraudStream.Pipeline.Hosting;
using FraudStream.Storage.Records;

namespace FraudStream.Pipeline.Processing;

/// <summary>
/// One decision worker: owns the partitions assigned to it (so a card's transactions are decided in
/// order, one at a time), takes what is queued in small batches, and runs deserialize → features →
/// scoring (one call per batch, which the micro-batcher may merge across workers) → rules → emit.
/// Everything it touches per transaction is preallocated or owned by this thread.
/// </summary>
internal sealed class DecisionWorker
{
    private const int ExplainedFeatures = 3;

    /// <summary>How many transactions ahead the feature state is announced (see IFeatureWorker.PrefetchAhead).</summary>
    private const int PrefetchDistance = 3;
    private readonly BlockingCollection<InFlight> _queue = [];
    private readonly int _maxBatch;
    private readonly int _featureCount;
    private readonly IFeatureStage _featureStage;
    private IFeatureWorker?[] _partitionFeatures = new IFeatureWorker?[16];
    private readonly IScoringStage _scoring;
    private readonly IRulesStage _rules;
    private readonly DecisionEmitter _emitter;
    private readonly DuplicateWindow _window;
    private readonly ProducedDeadLetters _producedDeadLetters;
    private readonly IdRegistry _ids;
    private readonly EventTimeWindow _eventTime;
    private readonly PanTokenizer _tokens;
    private readonly InFlight[] _batch;
    private readonly int[] _scored;
    private readonly float[] _featureRows;
    private readonly float[] _scores;
    private readonly float[] _challengerScores;
    private readonly float[] _ruleFeatures;
    private readonly string?[] _explained = new string?[ExplainedFeatures];
    private readonly ArrayBufferWriter<byte> _json = new(512);
    private readonly Utf8JsonWriter _jsonWriter;
    private readonly Thread _thread;

    public DecisionWorker(int index, int maxBatch, IFeatureStage features, IScoringStage scoring, IRulesStage rules,
        DecisionEmitter emitter, DuplicateWindow window, ProducedDeadLetters producedDeadLetters, IdRegistry ids, DecisionServiceOptions options)
    {
        _producedDeadLetters = producedDeadLetters;
        _maxBatch = maxBatch;
        _featureCount = features.FeatureCount;
        _featureStage = features;
        _scoring = scoring;
        _rules = rules;
        _emitter = emitter;
        _window = window;
        _ids = ids;
        _eventTime = new EventTimeWindow(options);
        _tokens = new PanTokenizer(options.TokenKey);
        _batch = new InFlight[maxBatch];
        _scored = new int[maxBatch];
        _featureRows = new float[maxBatch * _featureCount];
        _scores = new float[maxBatch];
        _challengerScores = new float[maxBatch];
        _ruleFeatures = new float[_featureCount];
        _jsonWriter = new Utf8JsonWriter(_json);
        Recorders = new StageRecorders("worker-" + index);
        _thread = new Thread(Run) { IsBackground = true, Name = "fs-worker-" + index };
    }

    public StageRecorders Recorders { get; }

    public PipelineCounters Counters { get; } = new();

    public void Start() => _thread.Start();

    public void Enqueue(InFlight slot) => _queue.Add(slot);

    /// <summary>Finishes what is queued, then stops.</summary>
    public void Complete()
    {
        _queue.CompleteAdding();
        _thread.Join();
    }

    private void Run()
    {
        var rulesWorker = _rules.CreateWorker();
        while (_queue.TryTake(out var first, Timeout.Infinite))
        {
            var n = 0;
            var barrier = first.Barrier;
            if (barrier is null)
            {
                _batch[n++] = first;
                while (n < _maxBatch && _queue.TryTake(out var next))
                {
                    if (next.Barrier is not null)
                    {
                        // Everything queued before the barrier is processed first; then this worker waits.
                        barrier = next.Barrier;
                        break;
                    }

                    _batch[n++] = next;
                }
            }

            if (n > 0)
            {
                ProcessBatch(n, rulesWorker);
                Array.Clear(_batch, 0, n);
            }

            barrier?.ArriveAndWait();
        }
    }

    /// <summary>
    /// The content of a transaction as one number, to tell an identical re-send from a reused id. Within this process
    /// only (string hashes are randomised per process), and after the card number was protected.
    /// </summary>
    private static long Fingerprint(Transaction tx)
    {
        var first = HashCode.Combine(tx.Card, tx.Merchant, tx.Amount, tx.Timestamp, tx.Currency, tx.Country, tx.Device, tx.Channel);
        var second = HashCode.Combine(tx.Category, tx.HasLocation ? tx.Latitude : 0, tx.HasLocation ? tx.Longitude : 0);
        return ((long)first << 32) | (uint)second;
    }

    /// <summary>The feature computer of a partition's cards, cached by partition (the stage hands out one per partition).</summary>
    private IFeatureWorker FeaturesOf(int partition)
    {
        if (partition >= _partitionFeatures.Length)
        {
            Array.Resize(ref _partitionFeatures, Math.Max(partition + 1, _partitionFeatures.Length * 2));
        }

        return _partitionFeatures[partition] ??= _featureStage.ForPartition(partition);
    }

    private void ProcessBatch(int n, IRulesWorker rulesWorker)
    {
        var dequeuedAt = Stopwatch.GetTimestamp();
        var now = DateTime.UtcNow;
        var scoredCount = 0;
        var featuresOnly = 0;
        for (var i = 0; i < n; i++)
        {
            var slot = _batch[i];
            if (!slot.FeaturesOnly)
            {
                Recorders.RecordSince(Stage.QueueWait, slot.EnqueuedAt, dequeuedAt);
            }

            if (!slot.FeaturesOnly && _producedDeadLetters.TryTake(slot.Partition, slot.Offset, out var deadLetter))
            {
                // Dead-lettered by the previous owner, on the topic, not committed: stored from there, not produced again.
                StoreDeadLetterFromTopic(slot, deadLetter);
                continue;
            }

            var t0 = Stopwatch.GetTimestamp();
            var parsed = TransactionJson.TryParse(slot.Payload, slot.Transaction, out slot.Error)
                && _eventTime.Admits(slot.Transaction.Timestamp, now, "ts", out slot.Error);
            if (!slot.FeaturesOnly)
            {
                Recorders.RecordSince(Stage.Deserialize, t0, Stopwatch.GetTimestamp());
            }

            if (!parsed)
            {
                if (slot.FeaturesOnly)
                {
                    // Dead-lettered by whoever decided it.
                    slot.MarkDone();
                    continue;
                }

                slot.Outcome = Outcome.DeadLettered;
                FillDeadLetter(slot);
                Counters.AddDeadLettered();
                _emitter.EmitDeadLetter(slot);
                continue;
            }

            // Before anything reads the transaction: from here on no field holds a card number.
            _tokens.Protect(slot.Transaction);
            var sighting = _window.See(slot.Transaction.Id, slot.Partition, slot.Offset, Fingerprint(slot.Transaction));
            if (sighting == Sighting.New && !_ids.TryRecord(slot.Transaction.Id, slot.Partition))
            {
                sighting = Sighting.Conflicting; // the same id came recently from another partition: another card
            }

            if (sighting == Sighting.Conflicting)
            {
                if (!slot.FeaturesOnly)
                {
                    slot.Error = new ParseError(DeadLetterReason.ConflictingDuplicate,
                        "this id was seen recently with other content (card, merchant, amount, time or another field differs)");
                    slot.Outcome = Outcome.DeadLettered;
                    FillDeadLetter(slot);
                    Counters.AddDeadLettered();
                    _emitter.EmitDeadLetter(slot);
                }
                else
                {
                    slot.MarkDone();
                }

                continue;
            }

            if (sighting == Sighting.Resent)
            {
                if (!slot.FeaturesOnly)
                {
                    slot.Outcome = Outcome.Duplicate;
                    Counters.AddDuplicate();
                }

                slot.MarkDone();
                continue;
            }

            if (sighting == Sighting.Redelivered && !slot.FeaturesOnly)
            {
                // Decided before a restart: folded in again below, as the first time, but not decided twice. Produced
                // but never stored (the previous owner died in between): the topic's decision is stored after the fold.
                slot.FeaturesOnly = true;
                if (_window.TryTakeProducedDecision(slot.Transaction.Id, out var producedBefore))
                {
                    slot.ProducedBefore = producedBefore;
                }
                else
                {
                    slot.Outcome = Outcome.Duplicate;
                    Counters.AddDuplicate();
                }
            }

            _scored[scoredCount++] = i;
            if (slot.FeaturesOnly)
            {
                featuresOnly++;
            }
        }

        if (scoredCount == 0)
        {
            return;
        }

        // Features in a second pass, so each transaction's state can start loading three transactions ahead.
        for (var k = 0; k < Math.Min(PrefetchDistance, scoredCount); k++)
        {
            var ahead = _batch[_scored[k]];
            FeaturesOf(ahead.Partition).PrefetchAhead(ahead.Transaction);
        }

        for (var k = 0; k < scoredCount; k++)
        {
            if (k + PrefetchDistance < scoredCount)
            {
                var ahead = _batch[_scored[k + PrefetchDistance]];
                FeaturesOf(ahead.Partition).PrefetchAhead(ahead.Transaction);
            }

            var slot = _batch[_scored[k]];
            var start = Stopwatch.GetTimestamp();
            FeaturesOf(slot.Partition).Process(slot.Transaction, _featureRows.AsSpan(k * _featureCount, _featureCount));
            if (!slot.FeaturesOnly)
            {
                Recorders.RecordSince(Stage.Features, start, Stopwatch.GetTimestamp());
            }
        }

        if (featuresOnly > 0)
        {
            scoredCount = CompactDecided(scoredCount);
            Counters.AddFollowed(featuresOnly);
            if (scoredCount == 0)
            {
                return;
            }
        }

        // The snapshot that scored the batch is the one whose thresholds, version and explainer go with its scores.
        // A challenger scores the same rows in shadow: its would-be decisions are stored beside, never emitted.
        var model = _scoring.Score(_featureRows.AsSpan(0, scoredCount * _featureCount), scoredCount, _scores, _challengerScores,
            out var challenger, out var waitMicros, out var computeMicros);
        var modelAvailable = model.Available;
        var review = model.ReviewThreshold;
        var decline = model.DeclineThreshold;
        var modelVersion = model.Version;
        var rulesetVersion = _rules.RulesetVersion;
        for (var j = 0; j < scoredCount; j++)
        {
            var slot = _batch[_scored[j]];
            Recorders.Record(Stage.ScoringWait, waitMicros);
            Recorders.Record(Stage.ScoringCompute, computeMicros);
            var t2 = Stopwatch.GetTimestamp();
            var row = _featureRows.AsSpan(j * _featureCount, _featureCount);
            row.CopyTo(_ruleFeatures);
            var score = _scores[j];
            slot.Score = score;
            slot.Decision = rulesWorker.Decide(slot.Transaction, _ruleFeatures, score, review, decline, slot.Reasons);
            if (!modelAvailable || float.IsNaN(score))
            {
                slot.Reasons.Add("model_unavailable");
                Counters.AddModelUnavailable();
            }
            else if (slot.Decision != DecisionKind.Approve)
            {
                AddExplanation(model, slot, row);
            }

            // The challenger's would-be decision is rules work too: the rules stage shows its cost.
            var wouldBe = challenger is null
                ? DecisionKind.Approve
                : rulesWorker.WouldDecide(_challengerScores[j], challenger.ReviewThreshold, challenger.DeclineThreshold);
            Recorders.RecordSince(Stage.Rules, t2, Stopwatch.GetTimestamp());
            slot.Outcome = Outcome.Decided;
            FillRecord(slot, modelVersion, rulesetVersion);
            if (challenger is not null)
            {
                FillChallenger(slot.Record, challenger, _challengerScores[j], wouldBe);
            }

            Counters.AddDecision(slot.Decision);
            _emitter.EmitDecision(slot, _json, _jsonWriter, Clock.UnixMicrosNow() - slot.CreatedUnixMicros);
        }
    }

    /// <summary>
    /// Marks the features-only slots done and keeps the rest, in order, with their feature rows moved up: only
    /// those are scored and decided.
    /// </summary>
    private int CompactDecided(int count)
    {
        var kept = 0;
        for (var k = 0; k < count; k++)
        {
            var slot = _batch[_scored[k]];
            if (slot.FeaturesOnly)
            {
                if (slot.ProducedBefore is { } decision)
                {
                    StoreProducedBefore(slot, decision);
                }
                else
                {
                    slot.MarkDone();
                }

                continue;
            }

            if (kept != k)
            {
                _scored[kept] = _scored[k];
                _featureRows.AsSpan(k * _featureCount, _featureCount).CopyTo(_featureRows.AsSpan(kept * _featureCount, _featureCount));
            }

            kept++;
        }

        return kept;
    }

    private void AddExplanation(IModelSnapshot model, InFlight slot, ReadOnlySpan<float> row)
    {
        var k = model.Explain(row, _explained);
        for (var i = 0; i < k; i++)
        {
            if (_explained[i] is { } name)
            {
                slot.Reasons.Add(name);
            }
        }
    }

    /// <summary>The decision as the topic carries it, with the transaction's own fields: the store and the topic agree.</summary>
    private void StoreProducedBefore(InFlight slot, DecisionMessage decision)
    {
        slot.Outcome = Outcome.Decided;
        slot.Decision = decision.Decision;
        slot.Score = decision.Score is { } score ? (float)score : float.NaN;
        slot.Reasons.Clear();
        foreach (var reason in decision.Reasons)
        {
            slot.Reasons.Add(reason);
        }

        FillRecord(slot, decision.ModelVersion, decision.RulesetVersion);
        slot.Record.Score = decision.Score;
        slot.Record.DecidedAt = decision.DecidedAt;
        slot.Record.LatencyUs = decision.LatencyMicros;
        Counters.AddStoredFromTopic();
        _emitter.StoreProducedBefore(slot);
    }

    private static void FillRecord(InFlight slot, string modelVersion, string rulesetVersion)
    {
        var tx = slot.Transaction;
        var r = slot.Record;
        r.Id = tx.Id;
        r.EventTs = tx.Timestamp;
        r.Card = tx.Card;
        r.Merchant = tx.Merchant;
        r.Category = tx.Category;
        r.Amount = tx.Amount;
        r.Currency = tx.Currency;
        r.Country = tx.Country;
        r.Lat = tx.HasLocation ? tx.Latitude : null;
        r.Lon = tx.HasLocation ? tx.Longitude : null;
        r.Device = tx.Device;
        r.Channel = tx.Channel.ToWire();
        r.Decision = slot.Decision.ToWire();
        r.Score = float.IsNaN(slot.Score) ? null : Math.Round(slot.Score, 6);
        r.Reasons = StoredReasons.Join(slot.Reasons);
        r.ModelVersion = modelVersion;
        r.RulesetVersion = rulesetVersion;
        r.DecidedAt = DateTime.UtcNow;
        r.SourcePartition = slot.Partition;
        r.SourceOffset = slot.Offset;
        r.ChallengerScore = null;
        r.ChallengerDecision = null;
        r.ChallengerVersion = null;
    }

    private static void FillChallenger(DecisionRecord record, IModelSnapshot challenger, float score, DecisionKind wouldBe)
    {
        record.ChallengerScore = float.IsNaN(score) ? null : Math.Round(score, 6);
        record.ChallengerDecision = wouldBe.ToWire();
        record.ChallengerVersion = challenger.Version;
    }

    private static void FillDeadLetter(InFlight slot)
    {
        // The detail may quote a value: masked as the payload is.
        slot.Error = slot.Error with { Detail = Pans.Mask(slot.Error.Detail) };
        FillDeadLetter(slot, slot.Error.Reason.ToCode(), slot.Error.Detail);
    }

    private static void FillDeadLetter(InFlight slot, string reason, string detail)
    {
        // No card number leaves in clear: the raw payload and key are masked in place (the topic copy and the stored
        // one are the same bytes).
        // A message cut inside a card number keeps too few of its digits to be recognised: its last number is masked too.
        Pans.Mask(slot.Payload.AsSpan());
        Pans.MaskCutNumber(slot.Payload.AsSpan());
        Pans.Mask(slot.Key.AsSpan());
        var d = slot.DeadLetter;
        d.SourcePartition = slot.Partition;
        d.SourceOffset = slot.Offset;
        d.Reason = reason;
        d.Detail = detail;
        d.Payload = slot.Payload;
        d.ReceivedAt = DateTime.UtcNow;
    }

    /// <summary>
    /// The dead letter as the topic has it (its reason and detail, already masked; the whole payload of the redelivered
    /// message, masked as the first time): neither folded in nor decided, as the first time.
    /// </summary>
    private void StoreDeadLetterFromTopic(InFlight slot, ProducedDeadLetter deadLetter)
    {
        slot.Outcome = Outcome.DeadLettered;
        FillDeadLetter(slot, deadLetter.Reason, deadLetter.Detail);
        Counters.AddDeadLettered();
        Counters.AddDeadLettersStoredFromTopic();
        _emitter.StoreProducedBefore(slot);
    }
}
