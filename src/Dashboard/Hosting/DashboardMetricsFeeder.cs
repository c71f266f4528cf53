using FraudStream.Dashboard.Metrics;
using FraudStream.Dashboard.State;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FraudStream.Dashboard.Hosting;

/// <summary>Applies every published snapshot to the Prometheus metrics, in order, off the reporter thread.</summary>
internal sealed partial class DashboardMetricsFeeder(DashboardState state, DashboardMetrics metrics, ILogger<DashboardMetricsFeeder> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long applied = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await state.WaitForNewerAsync(applied, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            foreach (var snapshot in state.GetSince(applied))
            {
                try
                {
                    metrics.Apply(snapshot);
                }
#pragma warning disable CA1031 // One malformed snapshot must not stop the metrics for the rest of the run.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogApplyFailed(logger, ex, snapshot.Sequence);
                }

                applied = snapshot.Sequence;
            }
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Dashboard snapshot {Sequence} could not be applied to the metrics")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, long sequence);
}
