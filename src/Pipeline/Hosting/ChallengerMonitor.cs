using FraudStream.Core.Stages;
using FraudStream.Core.Telemetry;
using FraudStream.Storage;
using FraudStream.Storage.Records;
using Microsoft.Extensions.Logging;

namespace FraudStream.Pipeline.Hosting;

/// <summary>
/// The service's side of the challenger, off the per-transaction path: every second it claims a promotion request
/// from the store (<c>fraudstream models promote</c>) and applies it by the scoring stage's snapshot swap, recording
/// what happened; every <see cref="ComparisonInterval"/> it reads the live comparison of the current pair from the
/// store, the same sums <c>models compare</c> reads, so the dashboard and the command show the same numbers.
/// A promotion is the fleet's, not only the claimer's: the claimer stores the promoted package in the store's registry
/// with its <c>applied</c> row, and every instance follows the latest applied one — at start too, before deciding, so a
/// restart keeps the promoted champion — by promoting its challenger when that is the version, else by loading the
/// package from the registry (docs/SCORING.md, "The fleet follows" and "Registry"). With
/// <paramref name="ignorePromotions"/> (<c>--ignore-promotions</c>) it follows none and keeps <c>--model</c>.
/// </summary>
internal sealed partial class ChallengerMonitor(FraudStore store, IScoringStage scoring, string instance, DateTime since, bool ignorePromotions, ILogger logger)
{
    public static readonly TimeSpan PromotionPollInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan ComparisonInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long an instance without a challenger leaves a promotion request to the fleet before it refuses it itself.</summary>
    public static readonly TimeSpan UnclaimedGrace = TimeSpan.FromSeconds(5);

    private readonly IChallengerStatus? _challenger = scoring as IChallengerStatus;
    private readonly IChampionRegistry? _registry = scoring as IChampionRegistry;
    private volatile ModelComparison? _comparison;
    private long _promotions;
    private long _followedSeq;
    private long _warnedSeq;
    private long _registryTriedSeq;

    /// <summary>The challenger's telemetry with the latest comparison of the current pair; <see cref="ChallengerTelemetry.None"/> without one.</summary>
    public ChallengerTelemetry Now() =>
        _challenger?.ChallengerNow() is { } now ? now with { Comparison = now.Version is null ? null : _comparison } : ChallengerTelemetry.None;

    public long Promotions => Interlocked.Read(ref _promotions);

    /// <summary>
    /// Before the first transaction: the champion of the latest applied promotion instead of <c>--model</c>, when they
    /// differ (or, with <c>--ignore-promotions</c>, says that it keeps <c>--model</c>). The store's migrations have run.
    /// </summary>
    public async Task FollowAtStartAsync(CancellationToken cancellationToken)
    {
        if (_challenger is null)
        {
            return;
        }

        if (ignorePromotions)
        {
            try
            {
                if (await store.LatestAppliedPromotionAsync(cancellationToken) is { } latest && latest.ToVersion != scoring.Current.Version)
                {
                    LogIgnoringPromotion(logger, latest.Seq, latest.ToVersion ?? "", scoring.Current.Version);
                }
            }
#pragma warning disable CA1031 // Only a log line depends on it: the instance keeps --model either way.
            catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
            {
                LogPromotionPollFailed(logger, ex);
            }

            return;
        }

        await FollowAppliedAsync(atStart: true, cancellationToken);
    }

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
                if (!ignorePromotions)
                {
                    await FollowAppliedAsync(atStart: false, stoppingToken);
                }

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
            // Without a challenger this instance could only refuse: it leaves the request to an instance that has one, a while.
            var requestedBefore = scoring.Challenger is null ? DateTime.UtcNow - UnclaimedGrace : (DateTime?)null;
            var request = await store.ClaimPromotionRequestAsync(instance, requestedBefore, cancellationToken);
            if (request is null)
            {
                return;
            }

            var applied = _challenger!.TryPromote(out var from, out var to);
            var detail = applied ? $"promoted on {instance}" : "no challenger was scoring on " + instance;
            ModelPackageRecord? package = null;
            if (applied)
            {
                package = RegistryPackage(to);
                detail += package is null ? "; its package is not in the registry" : $"; package stored in the registry (sha256 {package.Sha256})";
            }

            await store.CompletePromotionAsync(request.Seq, applied, DateTime.UtcNow, from, to, detail, package, cancellationToken);
            if (applied)
            {
                Interlocked.Increment(ref _promotions);
                _comparison = null;
                LogPromoted(logger, request.Seq, request.RequestedBy, from, to);
                if (package is null)
                {
                    LogPackageNotStored(logger, request.Seq, to);
                }
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

    /// <summary>The promoted champion's archive as a registry row; null when the stage has none of that version.</summary>
    private ModelPackageRecord? RegistryPackage(string version) =>
        _registry?.ChampionArchive is { } archive && archive.Version == version
            ? new ModelPackageRecord { Version = version, Sha256 = archive.Sha256, Package = archive.Bytes, StoredAt = DateTime.UtcNow, StoredBy = instance }
            : null;

    /// <summary>
    /// The latest promotion another instance applied (or this one, before a restart): applied here too, recorded as a
    /// <c>followed</c> row naming this instance — by promoting the challenger when this instance scores that version as
    /// its challenger, else by loading the package from the registry. The poll reads one row; the package's bytes are
    /// fetched only when the versions differ, once per promotion. When neither works, the instance keeps its champion
    /// and says so once per promotion.
    /// </summary>
    private async Task FollowAppliedAsync(bool atStart, CancellationToken cancellationToken)
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
                await FollowedAsync(latest.Seq, from, to, $"followed promotion {latest.Seq} on {instance}", atStart, cancellationToken);
                return;
            }

            // The registry once per promotion: a package it lacks, or one refused here, is not fetched again every second.
            string? registryProblem = null;
            if (_registry is not null && _registryTriedSeq != latest.Seq)
            {
                var package = await store.GetModelPackageAsync(target, cancellationToken);
                _registryTriedSeq = latest.Seq; // after the read: a store that is away is asked again at the next poll
                if (package is null)
                {
                    registryProblem = $"the registry holds no package of {target}";
                }
                else if (_registry.TryAdoptChampion(new PackageArchive(package.Version, package.Sha256, package.Package), out var previous, out var error))
                {
                    var detail = $"followed promotion {latest.Seq} on {instance} from the registry (sha256 {package.Sha256})";
                    await FollowedAsync(latest.Seq, previous, target, detail, atStart, cancellationToken);
                    return;
                }
                else
                {
                    // A damaged or mismatched package is an error worth its own line; said once, like the warning below.
                    _warnedSeq = latest.Seq;
                    LogRegistryRefused(logger, latest.Seq, target, scoring.Current.Version, error ?? "refused");
                }
            }

            // Tried again every poll (a challenger loading late, or arriving in the watched folder, is followed then); said once.
            if (_warnedSeq != latest.Seq)
            {
                _warnedSeq = latest.Seq;
                LogCannotFollow(logger, latest.Seq, target, scoring.Current.Version, registryProblem ?? "the registry was not asked");
            }
        }
#pragma warning disable CA1031 // The store may be away for a while: following waits, the service goes on deciding.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogPromotionPollFailed(logger, ex);
        }
    }

    private async Task FollowedAsync(long seq, string from, string to, string detail, bool atStart, CancellationToken cancellationToken)
    {
        _followedSeq = seq; // the swap is done: never tried again, even if recording it fails
        Interlocked.Increment(ref _promotions);
        _comparison = null;
        if (atStart)
        {
            LogChampionFromPromotion(logger, seq, to, from);
        }
        else
        {
            LogFollowed(logger, seq, from, to, detail);
        }

        await store.RecordFollowedPromotionAsync(seq, instance, DateTime.UtcNow, from, to, detail, cancellationToken);
    }

    [LoggerMessage(EventId = 1805, Level = LogLevel.Information, Message = "Following promotion {Seq}: {To} is the champion here too (was {From}; {Detail})")]
    private static partial void LogFollowed(ILogger logger, long seq, string from, string to, string detail);

    [LoggerMessage(EventId = 1806, Level = LogLevel.Warning,
        Message = "Promotion {Seq} made {Target} the champion, but this instance cannot follow it: it keeps {Champion}. Not its challenger, and {RegistryProblem} (give the promoted package as --challenger or --model)")]
    private static partial void LogCannotFollow(ILogger logger, long seq, string target, string champion, string registryProblem);

    [LoggerMessage(EventId = 1807, Level = LogLevel.Information, Message = "Starting on the champion from promotion #{Seq} ({Version}) instead of --model ({Model})")]
    private static partial void LogChampionFromPromotion(ILogger logger, long seq, string version, string model);

    [LoggerMessage(EventId = 1808, Level = LogLevel.Warning,
        Message = "Ignoring promotions (--ignore-promotions): promotion #{Seq} made {Version} the fleet's champion; this instance keeps --model ({Model})")]
    private static partial void LogIgnoringPromotion(ILogger logger, long seq, string version, string model);

    [LoggerMessage(EventId = 1810, Level = LogLevel.Error,
        Message = "Promotion {Seq} made {Target} the champion; its package from the registry was refused, this instance keeps {Champion}: {Reason}")]
    private static partial void LogRegistryRefused(ILogger logger, long seq, string target, string champion, string reason);

    [LoggerMessage(EventId = 1809, Level = LogLevel.Warning,
        Message = "Promotion {Seq} applied, but the package of {Version} could not be stored in the registry: instances without it as their challenger cannot follow")]
    private static partial void LogPackageNotStored(ILogger logger, long seq, string version);

    [LoggerMessage(EventId = 1801, Level = LogLevel.Warning, Message = "Reading the champion/challenger comparison from the store failed")]
    private static partial void LogComparisonFailed(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 1802, Level = LogLevel.Warning, Message = "Polling the store for promotion requests failed")]
    private static partial void LogPromotionPollFailed(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 1803, Level = LogLevel.Information, Message = "Promotion {Seq} by {By}: challenger {To} is the champion (was {From})")]
    private static partial void LogPromoted(ILogger logger, long seq, string by, string from, string to);

    [LoggerMessage(EventId = 1804, Level = LogLevel.Warning, Message = "Promotion {Seq} by {By} refused: {Detail}")]
    private static partial void LogPromotionRefused(ILogger logger, long seq, string by, string detail);
}
