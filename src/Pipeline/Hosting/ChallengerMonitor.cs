using FraudStream.Core.Stages;
using FraudStream.Core.Telemetry;
using FraudStream.Storage;
using Microsoft.Extensions.Logging;

namespace FraudStream.Pipeline.Hosting;

/// <summary>
/// The service's side of the challenger, off the per-transaction path: every second it claims a promotion request
/// from the store (<c>fraudstream models promote</c>) and applies it by the scoring stage's snapshot swap, recording
/// what happened; every <see cref="ComparisonInterval"/> it reads the live comparison of the current pair from the
/// store, the same sums <c>models compare</c> reads, so the dashboard and the command show the same numbers.
/// A promotion is the fleet's, not only the claimer's: every instance follows the latest applied one — at start too,
/// so a restart keeps the promoted champion — when it has that version as its challenger (docs/SCORING.md).
/// </summary>
internal sealed partial class ChallengerMonitor(FraudStore store, IScoringStage scoring, string instance, DateTime since, ILogger logger)
{
    public static readonly TimeSpan PromotionPollInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan ComparisonInterval = TimeSpan.FromSeconds(5);

    private readonly IChallengerStatus? _challenger = scoring as IChallengerStatus;
    private volatile ModelComparison? _comparison;
    private long _promotions;
    private long _followedSeq;
    private long _warnedSeq;

    /// <summary>The challenger's telemetry with the latest comparison of the current pair; <see cref="ChallengerTelemetry.None"/> without one.</summary>
    public ChallengerTelemetry Now() =>
        _challenger?.ChallengerNow() is { } now ? now with { Comparison = now.Version is null ? null : _comparison } : ChallengerTelemetry.None;

    public long Promotions => Interlocked.Read(ref _promotions);

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        if (_challenger is null)
        {
            return;
        }

        var nextComparison = DateTime.UtcNow;
        using var timer = new PeriodicTimer(PromotionPollInterval);
        try
        {
            do
            {
                await PromoteRequestedAsync(stoppingToken);
                await FollowAppliedAsync(stoppingToken);
                if (DateTime.UtcNow >= nextComparison)
                {
                    nextComparison = DateTime.UtcNow + ComparisonInterval;
                    await CompareAsync(stoppingToken);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Reads the comparison of the pair scoring now (since this service started); tests call it directly.</summary>
    public async Task CompareAsync(CancellationToken cancellationToken)
    {
        var challenger = scoring.Challenger;
        if (challenger is null)
        {
            _comparison = null;
            return;
        }

        try
        {
            var champion = scoring.Current.Version;
            ModelComparison? found = null;
            foreach (var pair in await store.CompareModelsAsync(since, cancellationToken))
            {
                if (pair.ChampionVersion == champion && pair.ChallengerVersion == challenger.Version)
                {
                    found = ModelComparison.From(pair.ToCounts());
                }
            }

            _comparison = found;
        }
#pragma warning disable CA1031 // The store may be away for a while: the comparison waits, the service goes on.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogComparisonFailed(logger, ex);
        }
    }

    private async Task PromoteRequestedAsync(CancellationToken cancellationToken)
    {
        try
        {
            var request = await store.ClaimPromotionRequestAsync(instance, cancellationToken);
            if (request is null)
            {
                return;
            }

            var applied = _challenger!.TryPromote(out var from, out var to);
            var detail = applied ? $"promoted on {instance}" : "no challenger was scoring on " + instance;
            await store.CompletePromotionAsync(request.Seq, applied, DateTime.UtcNow, from, to, detail, cancellationToken);
            if (applied)
            {
                Interlocked.Increment(ref _promotions);
                _comparison = null;
                LogPromoted(logger, request.Seq, request.RequestedBy, from, to);
            }
            else
            {
                LogPromotionRefused(logger, request.Seq, request.RequestedBy, detail);
            }
        }
#pragma warning disable CA1031 // A store error leaves the request where it is (requested or claimed): visible, never applied twice.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogPromotionPollFailed(logger, ex);
        }
    }

    /// <summary>
    /// The latest promotion another instance applied (or this one, before a restart): applied here too when this
    /// instance scores that version as its challenger, recorded as a <c>followed</c> row naming this instance; when it
    /// does not have that version, it keeps its champion and says so once.
    /// </summary>
    private async Task FollowAppliedAsync(CancellationToken cancellationToken)
    {
        try
        {
            var latest = await store.LatestAppliedPromotionAsync(cancellationToken);
            if (latest is null || latest.Seq <= _followedSeq)
            {
                return;
            }

            var target = latest.ToVersion ?? "";
            if (scoring.Current.Version == target)
            {
                _followedSeq = latest.Seq; // applied here (the claimer), or already the champion
                return;
            }

            if (scoring.Challenger?.Version == target && _challenger!.TryPromote(out var from, out var to))
            {
                var detail = $"followed promotion {latest.Seq} on {instance}";
                await store.RecordFollowedPromotionAsync(latest.Seq, instance, DateTime.UtcNow, from, to, detail, cancellationToken);
                Interlocked.Increment(ref _promotions);
                _comparison = null;
                LogFollowed(logger, latest.Seq, from, to);
                _followedSeq = latest.Seq;
                return;
            }

            // Tried again every poll (a challenger loading late, or arriving in the watched folder, is followed then); said once.
            if (_warnedSeq != latest.Seq)
            {
                _warnedSeq = latest.Seq;
                LogCannotFollow(logger, latest.Seq, target, scoring.Current.Version);
            }
        }
#pragma warning disable CA1031 // The store may be away for a while: following waits, the service goes on deciding.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogPromotionPollFailed(logger, ex);
        }
    }

    [LoggerMessage(EventId = 1805, Level = LogLevel.Information, Message = "Following promotion {Seq}: challenger {To} is the champion here too (was {From})")]
    private static partial void LogFollowed(ILogger logger, long seq, string from, string to);

    [LoggerMessage(EventId = 1806, Level = LogLevel.Warning,
        Message = "Promotion {Seq} made {Target} the champion, but this instance does not score it as its challenger: it keeps {Champion} (give the promoted package as --challenger or --model)")]
    private static partial void LogCannotFollow(ILogger logger, long seq, string target, string champion);

    [LoggerMessage(EventId = 1801, Level = LogLevel.Warning, Message = "Reading the champion/challenger comparison from the store failed")]
    private static partial void LogComparisonFailed(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 1802, Level = LogLevel.Warning, Message = "Polling the store for promotion requests failed")]
    private static partial void LogPromotionPollFailed(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 1803, Level = LogLevel.Information, Message = "Promotion {Seq} by {By}: challenger {To} is the champion (was {From})")]
    private static partial void LogPromoted(ILogger logger, long seq, string by, string from, string to);

    [LoggerMessage(EventId = 1804, Level = LogLevel.Warning, Message = "Promotion {Seq} by {By} refused: {Detail}")]
    private static partial void LogPromotionRefused(ILogger logger, long seq, string by, string detail);
}
