using System.CommandLine;
using FraudStream.Ingest.Kafka;

namespace FraudStream.Service.Cli;

internal static class BrokerCommand
{
    public static Command Create()
    {
        var brokers = new Option<int>("--brokers") { Description = "Number of mock brokers", DefaultValueFactory = _ => 3 };
        var partitions = new Option<int>("--partitions") { Description = "Partitions per topic", DefaultValueFactory = _ => 6 };
        var bootstrapFile = new Option<string?>("--bootstrap-file") { Description = "Also write the bootstrap address to this file" };
        var command = new Command("broker", "Run an embedded Kafka cluster (librdkafka's mock cluster) with the FraudStream topics")
        {
            brokers, partitions, bootstrapFile,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var count = parse.GetValue(brokers);
            var parts = parse.GetValue(partitions);
            if (count < 1 || parts < 1)
            {
                await Console.Error.WriteLineAsync("--brokers and --partitions must be at least 1");
                return 2;
            }

            using var broker = EmbeddedBroker.Start(count, parts);
            var file = parse.GetValue(bootstrapFile);
            if (!string.IsNullOrEmpty(file))
            {
                await File.WriteAllTextAsync(file, broker.BootstrapServers, cancellation);
            }

            Console.WriteLine(broker.BootstrapServers);
            await Console.Error.WriteLineAsync($"embedded Kafka: {count} brokers, topics with {parts} partitions; Ctrl+C stops it");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellation);
            }
            catch (OperationCanceledException)
            {
                // Stopped by SIGINT/SIGTERM.
            }

            return 0;
        });
        return command;
    }
}
