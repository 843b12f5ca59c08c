//! Exit codes: 0 clean, 1 findings at or above the threshold, 2 error. An
//! error always wins over findings, as in `diff` and ripgrep (whose 0 and 1 are
//! swapped here so that findings fail a CI job).

/// The process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitCode {
    /// Nothing at or above the threshold.
    Clean,
    /// At least one finding at or above the threshold.
    Findings,
    /// At least one error (bad input, bad arguments, I/O).
    Error,
}

impl ExitCode {
    /// The numeric status.
    pub fn code(self) -> i32 {
        match self {
            ExitCode::Clean => 0,
            ExitCode::Findings => 1,
            ExitCode::Error => 2,
        }
    }

    /// Combines two outcomes: the worse one wins.
    pub fn worst(self, other: ExitCode) -> ExitCode {
        self.max(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_wins_over_findings() {
        assert_eq!(ExitCode::Findings.worst(ExitCode::Error), ExitCode::Error);
        assert_eq!(
            ExitCode::Clean.worst(ExitCode::Findings),
            ExitCode::Findings
        );
        assert_eq!(ExitCode::Error.code(), 2);
    }
}
