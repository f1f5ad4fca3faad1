import type { CommandModule } from "yargs";

/** A command, its argument type erased: yargs checks the arguments against its builder. */
export const erased = <T>(command: CommandModule<object, T>): CommandModule =>
  command as unknown as CommandModule;
