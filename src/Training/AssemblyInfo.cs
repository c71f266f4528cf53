[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("FraudStream.Training.Tests")]
