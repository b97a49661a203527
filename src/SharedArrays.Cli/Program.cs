using SharedArrays.Cli;

// Exit codes: 0 success, 1 usage error, 2 runtime error (one line on stderr).
return Sharr.Run(args);
