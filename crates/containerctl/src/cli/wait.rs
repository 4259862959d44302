//! `wait ID…`: blocks until each container has exited and prints its exit
//! code, like `docker wait`. It watches the monitor through a pidfd (no
//! polling) and reads the code the monitor recorded.

use super::Globals;
use crate::lifecycle::target::Target;

#[derive(Debug, clap::Args)]
pub struct WaitArgs {
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

pub fn run(globals: &Globals, args: WaitArgs) -> anyhow::Result<i32> {
    for query in &args.containers {
        let mut target = Target::find(globals, query)?;
        while target.state.is_live() {
            let Some(monitor) = target.monitor() else {
                break;
            };
            monitor.wait_exit(std::time::Duration::from_secs(3600));
            if let Err(e) = target.reload() {
                return match e.downcast_ref::<runtime::RuntimeError>() {
                    Some(runtime::RuntimeError::NoSuchContainer(_)) => Err(anyhow::anyhow!(
                        "container {query} exited and its record was removed (--rm or a foreground run): its exit code is gone"
                    )),
                    _ => Err(e),
                };
            }
        }
        match target.state.exit_code {
            Some(code) if !target.state.is_live() => println!("{code}"),
            _ => return Err(target.wrong_state("its monitor died before recording an exit code")),
        }
    }
    Ok(0)
}
