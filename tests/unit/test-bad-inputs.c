/* SPDX-License-Identifier: MIT */

/* Bad inputs: a table of broken .unit and .bridge texts, each with the FILE:LINE: KEY prefix of
 * the first diagnostic it must produce (and a piece of its message); then several errors in one
 * file, errors in drop-ins, the cross-unit checks of a directory, a good unit that keeps
 * loading next to a broken one, and what is not a regular file where one is expected. */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "tap.h"
#include "units.h"

/* ---- the table -------------------------------------------------------------------------------- */

enum row_kind {
        ROW_UNIT,
        ROW_BRIDGE,
};

struct row {
        enum row_kind kind;
        const char *display; /* NULL: "web.unit" or "sup0.bridge" */
        const char *name;    /* NULL: "web" or "sup0" */
        const char *text;
        const char *prefix;  /* the formatted first diagnostic starts with this */
        const char *message; /* and contains this; NULL: not checked */
};

#define U(t, p, m) { ROW_UNIT, NULL, NULL, (t), (p), (m) }
#define B(t, p, m) { ROW_BRIDGE, NULL, NULL, (t), (p), (m) }
#define NU(d, n, t, p, m) { ROW_UNIT, (d), (n), (t), (p), (m) }
#define NB(d, n, t, p, m) { ROW_BRIDGE, (d), (n), (t), (p), (m) }

/* A valid [Container] section: lines 1 and 2. */
#define CT "[Container]\nExec=/bin/true\n"

#define X10 "xxxxxxxxxx"
#define X50 X10 X10 X10 X10 X10
#define X200 X50 X50 X50 X50
#define A10 "aaaaaaaaaa"
#define A60 A10 A10 A10 A10 A10 A10
#define NAME65 A60 "aaaaa"
#define LABEL64 A60 "aaaa"
#define HOST70 A10 "." A10 "." A10 "." A10 "." A10 "." A10 "." "abcd"
#define USER33 "u" A10 A10 A10 "aa"

static const struct row rows[] = {
        /* [Unit] */
        U("[Unit]\nRequires=-bad\n" CT, "web.unit:2: Requires:", "invalid unit name \"-bad\""),
        U("[Unit]\nRequires=a/b\n" CT, "web.unit:2: Requires:", "invalid unit name \"a/b\""),
        U("[Unit]\nRequires=.hidden\n" CT, "web.unit:2: Requires:", "invalid unit name \".hidden\""),
        U("[Unit]\nRequires=db \"a b\"\n" CT, "web.unit:2: Requires:", "invalid unit name \"a b\""),
        U("[Unit]\nRequires=" NAME65 "\n" CT, "web.unit:2: Requires:", "invalid unit name"),
        U("[Unit]\nRequires=\"db\n" CT, "web.unit:2: Requires:", "unbalanced quotes"),
        U("[Unit]\nRequires=web\n" CT, "web.unit:2: Requires:", "unit depends on itself"),
        U("[Unit]\nRequires=db web\n" CT, "web.unit:2: Requires:", "unit depends on itself"),
        U("[Unit]\nWants=web\n" CT, "web.unit:2: Wants:", "unit depends on itself"),
        U("[Unit]\nWants=x/y\n" CT, "web.unit:2: Wants:", "invalid unit name \"x/y\""),
        U("[Unit]\nAfter=web\n" CT, "web.unit:2: After:", "unit depends on itself"),
        U("[Unit]\nAfter=$x\n" CT, "web.unit:2: After:", "invalid unit name \"$x\""),
        U("[Unit]\nAutoStart=maybe\n" CT, "web.unit:2: AutoStart:", "invalid boolean \"maybe\""),
        U("[Unit]\nAutoStart=2\n" CT, "web.unit:2: AutoStart:", "invalid boolean \"2\""),
        U("[Unit]\nAutoStart=yess\n" CT, "web.unit:2: AutoStart:", "invalid boolean \"yess\""),
        U("[Unit]\nDescription=x\nAutoStart=no no\n" CT, "web.unit:3: AutoStart:", "invalid boolean \"no no\""),

        /* [Container] */
        U("[Container]\nExec=\n", "web.unit:2: Exec:", "empty command line"),
        U("[Container]\nExec=/bin/sh -c \"echo\n", "web.unit:2: Exec:", "unbalanced quotes"),
        U("[Container]\nExec=/bin/sh -c 'echo\n", "web.unit:2: Exec:", "unbalanced quotes"),
        U("[Container]\nExec=/bin/echo \\\n", "web.unit:2: Exec:", "trailing backslash"),
        U("[Container]\nExec=/bin/echo\n  \"open\n", "web.unit:3: Exec:", "unbalanced quotes"),
        U("[Container]\nExec=\"\"\n", "web.unit:2: Exec:", NULL),
        U("[Container]\nExec=\"\" /bin/true\n", "web.unit:2: Exec:", NULL),
        U("[Container]\nExec=bin/sh\n", "web.unit:2: Exec:", "relative path \"bin/sh\""),
        U("[Container]\nExec=./run\n", "web.unit:2: Exec:", "relative path \"./run\""),
        U(CT "RootFS=var/lib\n", "web.unit:3: RootFS:", "not an absolute path: \"var/lib\""),
        U(CT "RootFS=/a/../b\n", "web.unit:3: RootFS:", "not an absolute path: \"/a/../b\""),
        U(CT "RootFS=/a//b\n", "web.unit:3: RootFS:", "not an absolute path"),
        U(CT "RootFS=/srv/root/\n", "web.unit:3: RootFS:", "not an absolute path"),
        U(CT "RootFS=/srv/./root\n", "web.unit:3: RootFS:", "not an absolute path"),
        U(CT "Layers=rel\n", "web.unit:3: Layers:", "not an absolute path: \"rel\""),
        U(CT "Layers=/ok /a/../b\n", "web.unit:3: Layers:", "not an absolute path: \"/a/../b\""),
        U(CT "Overlay=tmpfs\n", "web.unit:3: Overlay:",
          "invalid value \"tmpfs\" (expected none, ephemeral or persistent)"),
        U(CT "Overlay=Ephemeral\n", "web.unit:3: Overlay:", "invalid value \"Ephemeral\""),
        U(CT "Overlay=yes\n", "web.unit:3: Overlay:", "invalid value \"yes\""),
        U(CT "ReadOnly=maybe\n", "web.unit:3: ReadOnly:", "invalid boolean \"maybe\""),
        U(CT "ReadOnly=ro\n", "web.unit:3: ReadOnly:", "invalid boolean \"ro\""),
        U(CT "Namespaces=pid foo\n", "web.unit:3: Namespaces:", "invalid namespace list \"pid foo\""),
        U(CT "Namespaces=PID\n", "web.unit:3: Namespaces:", "invalid namespace list \"PID\""),
        U(CT "Namespaces=pid,mnt\n", "web.unit:3: Namespaces:", "invalid namespace list"),
        U(CT "Namespaces=network\n", "web.unit:3: Namespaces:", "invalid namespace list"),
        U(CT "Namespaces=pid \"mnt\n", "web.unit:3: Namespaces:", "invalid namespace list"),
        U(CT "Hostname=-bad\n", "web.unit:3: Hostname:", "invalid hostname \"-bad\""),
        U(CT "Hostname=a..b\n", "web.unit:3: Hostname:", "invalid hostname \"a..b\""),
        U(CT "Hostname=" HOST70 "\n", "web.unit:3: Hostname:", "invalid hostname"),
        U(CT "Hostname=" LABEL64 "\n", "web.unit:3: Hostname:", "invalid hostname"),
        U(CT "Hostname=bad-\n", "web.unit:3: Hostname:", "invalid hostname \"bad-\""),
        U(CT "Hostname=a_b\n", "web.unit:3: Hostname:", "invalid hostname \"a_b\""),
        U(CT "Hostname=.a\n", "web.unit:3: Hostname:", "invalid hostname \".a\""),
        U(CT "Hostname=a b\n", "web.unit:3: Hostname:", "invalid hostname \"a b\""),
        U(CT "UserNamespace=0:100000\n", "web.unit:3: UserNamespace:",
          "invalid value \"0:100000\" (expected auto or UID:HOSTUID:COUNT)"),
        U(CT "UserNamespace=0:100000:0\n", "web.unit:3: UserNamespace:", "invalid value \"0:100000:0\""),
        U(CT "UserNamespace=a:b:c\n", "web.unit:3: UserNamespace:", "invalid value \"a:b:c\""),
        U(CT "UserNamespace=0:4294967295:2\n", "web.unit:3: UserNamespace:", "invalid value"),
        U(CT "UserNamespace=-1:0:1\n", "web.unit:3: UserNamespace:", "invalid value"),
        U(CT "UserNamespace=0:100000:65536:1\n", "web.unit:3: UserNamespace:", "invalid value"),
        U(CT "UserNamespace=Auto\n", "web.unit:3: UserNamespace:", "invalid value \"Auto\""),
        U(CT "User=1bad\n", "web.unit:3: User:", "invalid user \"1bad\""),
        U(CT "User=a b\n", "web.unit:3: User:", "invalid user \"a b\""),
        U(CT "User=4294967295\n", "web.unit:3: User:", "invalid user \"4294967295\""),
        U(CT "User=-x\n", "web.unit:3: User:", "invalid user \"-x\""),
        U(CT "User=a$b\n", "web.unit:3: User:", "invalid user \"a$b\""),
        U(CT "User=" USER33 "\n", "web.unit:3: User:", "invalid user"),
        U(CT "Group=1bad\n", "web.unit:3: Group:", "invalid group \"1bad\""),
        U(CT "Group=g@x\n", "web.unit:3: Group:", "invalid group \"g@x\""),
        U(CT "WorkingDirectory=tmp\n", "web.unit:3: WorkingDirectory:", "not an absolute path: \"tmp\""),
        U(CT "WorkingDirectory=/tmp/\n", "web.unit:3: WorkingDirectory:", "not an absolute path"),
        U(CT "WorkingDirectory=/a/./b\n", "web.unit:3: WorkingDirectory:", "not an absolute path"),
        U(CT "WorkingDirectory=~/x\n", "web.unit:3: WorkingDirectory:", "not an absolute path"),
        U(CT "Environment=1A=b\n", "web.unit:3: Environment:", "invalid assignment \"1A=b\" (expected VAR=value)"),
        U(CT "Environment==x\n", "web.unit:3: Environment:", "invalid assignment \"=x\""),
        U(CT "Environment=NOEQUALS\n", "web.unit:3: Environment:", "invalid assignment \"NOEQUALS\""),
        U(CT "Environment=A-B=c\n", "web.unit:3: Environment:", "invalid assignment \"A-B=c\""),
        U(CT "Environment=A=1 B\n", "web.unit:3: Environment:", "invalid assignment \"B\""),
        U(CT "Environment=\"A=b\n", "web.unit:3: Environment:", "unbalanced quotes"),
        U(CT "EnvironmentFile=etc/env\n", "web.unit:3: EnvironmentFile:",
          "invalid environment file \"etc/env\" (expected /PATH, or -/PATH if optional)"),
        U(CT "EnvironmentFile=/ok -rel\n", "web.unit:3: EnvironmentFile:", "invalid environment file \"-rel\""),
        U(CT "EnvironmentFile=-\n", "web.unit:3: EnvironmentFile:", "invalid environment file \"-\""),
        U(CT "EnvironmentFile=--/etc/env\n", "web.unit:3: EnvironmentFile:", "invalid environment file \"--/etc/env\""),
        U(CT "EnvironmentFile=/etc/../env\n", "web.unit:3: EnvironmentFile:", "invalid environment file"),
        U(CT "EnvironmentFile=\"/etc/env\n", "web.unit:3: EnvironmentFile:", "unbalanced quotes"),
        U(CT "[Service]\nEnvironmentFile=/etc/env\n", "web.unit:4: EnvironmentFile:",
          "unknown key in [Service] (it belongs in [Container])"),
        U(CT "Bind=rel:/x\n", "web.unit:3: Bind:", "invalid bind mount \"rel:/x\" (expected HOST:CONTAINER[:ro])"),
        U(CT "Bind=/a:/b:rx\n", "web.unit:3: Bind:", "invalid bind mount \"/a:/b:rx\""),
        U(CT "Bind=/a:ro\n", "web.unit:3: Bind:", "invalid bind mount \"/a:ro\""),
        U(CT "Bind=/a:rel\n", "web.unit:3: Bind:", "invalid bind mount"),
        U(CT "Bind=/a:/b:ro:x\n", "web.unit:3: Bind:", "invalid bind mount"),
        U(CT "Bind=/a/../b:/c\n", "web.unit:3: Bind:", "invalid bind mount"),
        U(CT "Bind=:/b\n", "web.unit:3: Bind:", "invalid bind mount"),
        U(CT "Bind=rel\n", "web.unit:3: Bind:", "invalid bind mount \"rel\""),
        U(CT "Tmpfs=/t:size=abc\n", "web.unit:3: Tmpfs:", "invalid tmpfs \"/t:size=abc\" (expected PATH[:size=N])"),
        U(CT "Tmpfs=rel\n", "web.unit:3: Tmpfs:", "invalid tmpfs \"rel\""),
        U(CT "Tmpfs=/t:mode=1777\n", "web.unit:3: Tmpfs:", "invalid tmpfs"),
        U(CT "Tmpfs=/t:size=infinity\n", "web.unit:3: Tmpfs:", "invalid tmpfs"),
        U(CT "Tmpfs=/t:size=12Q\n", "web.unit:3: Tmpfs:", "invalid tmpfs"),
        U(CT "Tmpfs=/t:\n", "web.unit:3: Tmpfs:", "invalid tmpfs"),
        U(CT "Tmpfs=/t/:size=1M\n", "web.unit:3: Tmpfs:", "invalid tmpfs"),
        U(CT "Init=2\n", "web.unit:3: Init:", "invalid boolean \"2\""),
        U(CT "Init=sometimes\n", "web.unit:3: Init:", "invalid boolean \"sometimes\""),
        U(CT "Capabilities=CAP_NOPE\n", "web.unit:3: Capabilities:", "unknown capability \"CAP_NOPE\""),
        U(CT "Capabilities=CAP_NET_ADMIN CAP_NOPE\n", "web.unit:3: Capabilities:", "unknown capability \"CAP_NOPE\""),
        U(CT "Capabilities=~CAP_NOPE\n", "web.unit:3: Capabilities:", "unknown capability \"CAP_NOPE\""),
        U(CT "Capabilities=41\n", "web.unit:3: Capabilities:", "unknown capability \"41\""),
        U(CT "Capabilities=CAP_\n", "web.unit:3: Capabilities:", "unknown capability \"CAP_\""),
        U(CT "Capabilities=NET ADMIN\n", "web.unit:3: Capabilities:", "unknown capability \"NET\""),
        U(CT "NoNewPrivileges=yess\n", "web.unit:3: NoNewPrivileges:", "invalid boolean \"yess\""),
        U(CT "NoNewPrivileges=nope\n", "web.unit:3: NoNewPrivileges:", "invalid boolean \"nope\""),
        U(CT "Seccomp=strict\n", "web.unit:3: Seccomp:", "invalid value \"strict\" (expected default or off)"),
        U(CT "Seccomp=on\n", "web.unit:3: Seccomp:", "invalid value \"on\""),
        U(CT "Seccomp=Default\n", "web.unit:3: Seccomp:", "invalid value \"Default\""),

        /* [Service] */
        U(CT "[Service]\nType=forking\n", "web.unit:4: Type:", "invalid value \"forking\" (expected simple or notify)"),
        U(CT "[Service]\nType=oneshot\n", "web.unit:4: Type:", "invalid value \"oneshot\""),
        U(CT "[Service]\nType=Notify\n", "web.unit:4: Type:", "invalid value \"Notify\""),
        U(CT "[Service]\nRestart=sometimes\n", "web.unit:4: Restart:",
          "invalid value \"sometimes\" (expected no, on-failure or always)"),
        U(CT "[Service]\nRestart=on-abort\n", "web.unit:4: Restart:", "invalid value \"on-abort\""),
        U(CT "[Service]\nRestart=Always\n", "web.unit:4: Restart:", "invalid value \"Always\""),
        U(CT "[Service]\nRestart=yes\n", "web.unit:4: Restart:", "invalid value \"yes\""),
        U(CT "[Service]\nRestartSec=5x\n", "web.unit:4: RestartSec:", "invalid duration \"5x\""),
        U(CT "[Service]\nRestartSec=ms\n", "web.unit:4: RestartSec:", "invalid duration \"ms\""),
        U(CT "[Service]\nRestartSec=-1s\n", "web.unit:4: RestartSec:", "invalid duration \"-1s\""),
        U(CT "[Service]\nRestartSec=1h 30\n", "web.unit:4: RestartSec:", "invalid duration \"1h 30\""),
        U(CT "[Service]\nRestartSec=infinity\n", "web.unit:4: RestartSec:", "must be finite"),
        U(CT "[Service]\nRestartMaxDelaySec=5x\n", "web.unit:4: RestartMaxDelaySec:", "invalid duration \"5x\""),
        U(CT "[Service]\nRestartMaxDelaySec=5 s\n", "web.unit:4: RestartMaxDelaySec:", "invalid duration \"5 s\""),
        U(CT "[Service]\nRestartMaxDelaySec=infinity\n", "web.unit:4: RestartMaxDelaySec:", "must be finite"),
        U(CT "[Service]\nRestartResetSec=ms\n", "web.unit:4: RestartResetSec:", "invalid duration \"ms\""),
        U(CT "[Service]\nRestartResetSec=-1s\n", "web.unit:4: RestartResetSec:", "invalid duration \"-1s\""),
        U(CT "[Service]\nRestartResetSec=1.s\n", "web.unit:4: RestartResetSec:", "invalid duration \"1.s\""),
        U(CT "[Service]\nStartLimitBurst=x\n", "web.unit:4: StartLimitBurst:",
          "invalid count \"x\" (expected 0-1000000; 0 disables the limit)"),
        U(CT "[Service]\nStartLimitBurst=-1\n", "web.unit:4: StartLimitBurst:", "invalid count \"-1\""),
        U(CT "[Service]\nStartLimitBurst=1000001\n", "web.unit:4: StartLimitBurst:", "invalid count \"1000001\""),
        U(CT "[Service]\nStartLimitBurst=1.5\n", "web.unit:4: StartLimitBurst:", "invalid count \"1.5\""),
        U(CT "[Service]\nStartLimitIntervalSec=5x\n", "web.unit:4: StartLimitIntervalSec:",
          "invalid duration \"5x\""),
        U(CT "[Service]\nStartLimitIntervalSec=5S\n", "web.unit:4: StartLimitIntervalSec:",
          "invalid duration \"5S\""),
        U(CT "[Service]\nTimeoutStartSec=0\n", "web.unit:4: TimeoutStartSec:", "must be more than 0"),
        U(CT "[Service]\nTimeoutStartSec=0ms\n", "web.unit:4: TimeoutStartSec:", "must be more than 0"),
        U(CT "[Service]\nTimeoutStartSec=abc\n", "web.unit:4: TimeoutStartSec:", "invalid duration \"abc\""),
        U(CT "[Service]\nTimeoutStopSec=0\n", "web.unit:4: TimeoutStopSec:", "must be more than 0"),
        U(CT "[Service]\nTimeoutStopSec=-1s\n", "web.unit:4: TimeoutStopSec:", "invalid duration \"-1s\""),
        U(CT "[Service]\nTimeoutStopSec=99999999999999999999d\n", "web.unit:4: TimeoutStopSec:",
          "invalid duration"),
        U(CT "[Service]\nKillSignal=SIGFOO\n", "web.unit:4: KillSignal:", "invalid signal \"SIGFOO\""),
        U(CT "[Service]\nKillSignal=0\n", "web.unit:4: KillSignal:", "invalid signal \"0\""),
        U(CT "[Service]\nKillSignal=65\n", "web.unit:4: KillSignal:", "invalid signal \"65\""),
        U(CT "[Service]\nKillSignal=SIG\n", "web.unit:4: KillSignal:", "invalid signal \"SIG\""),
        U(CT "[Service]\nKillSignal=RTMIN+31\n", "web.unit:4: KillSignal:", "invalid signal \"RTMIN+31\""),
        U(CT "[Service]\nKillSignal=SIGRTMAX-31\n", "web.unit:4: KillSignal:", "invalid signal \"SIGRTMAX-31\""),
        U(CT "[Service]\nKillSignal=15x\n", "web.unit:4: KillSignal:", "invalid signal \"15x\""),
        U(CT "[Service]\nKillSignal=-9\n", "web.unit:4: KillSignal:", "invalid signal \"-9\""),
        U(CT "[Service]\nLogMaxSize=1\n", "web.unit:4: LogMaxSize:", "too small: \"1\" (at least 4K, or infinity)"),
        U(CT "[Service]\nLogMaxSize=4095\n", "web.unit:4: LogMaxSize:", "too small"),
        U(CT "[Service]\nLogMaxSize=12Q\n", "web.unit:4: LogMaxSize:", "invalid size \"12Q\""),
        U(CT "[Service]\nLogMaxSize=-1\n", "web.unit:4: LogMaxSize:", "invalid size \"-1\""),

        /* [Network] */
        U(CT "[Network]\nBridge=-bad\n", "web.unit:4: Bridge:", "invalid bridge name \"-bad\""),
        U(CT "[Network]\nBridge=averyveryverylongname\n", "web.unit:4: Bridge:",
          "invalid bridge name \"averyveryverylongname\""),
        U(CT "[Network]\nBridge=br/0\n", "web.unit:4: Bridge:", "invalid bridge name \"br/0\""),
        U(CT "[Network]\nAddress=10.0.0.1/33\n", "web.unit:4: Address:",
          "invalid address \"10.0.0.1/33\" (expected auto, an address or a CIDR)"),
        U(CT "[Network]\nAddress=10.0.0/24\n", "web.unit:4: Address:", "invalid address \"10.0.0/24\""),
        U(CT "[Network]\nAddress=banana\n", "web.unit:4: Address:", "invalid address \"banana\""),
        U(CT "[Network]\nAddress=10.0.0.1/\n", "web.unit:4: Address:", "invalid address \"10.0.0.1/\""),
        U(CT "[Network]\nAddress=fe80::1/129\n", "web.unit:4: Address:", "invalid address \"fe80::1/129\""),
        U(CT "[Network]\nGateway=10.0.0.300\n", "web.unit:4: Gateway:", "invalid IP address \"10.0.0.300\""),
        U(CT "[Network]\nGateway=10.0.0.1/24\n", "web.unit:4: Gateway:", "invalid IP address \"10.0.0.1/24\""),
        U(CT "[Network]\nGateway=gw\n", "web.unit:4: Gateway:", "invalid IP address \"gw\""),
        U(CT "[Network]\nPublishPort=0:80\n", "web.unit:4: PublishPort:",
          "invalid port mapping \"0:80\" (expected HOSTPORT:CONTAINERPORT[/tcp|/udp])"),
        U(CT "[Network]\nPublishPort=65536:80\n", "web.unit:4: PublishPort:", "invalid port mapping \"65536:80\""),
        U(CT "[Network]\nPublishPort=80:80/sctp\n", "web.unit:4: PublishPort:",
          "invalid port mapping \"80:80/sctp\""),
        U(CT "[Network]\nPublishPort=80\n", "web.unit:4: PublishPort:", "invalid port mapping \"80\""),
        U(CT "[Network]\nPublishPort=80:0\n", "web.unit:4: PublishPort:", "invalid port mapping \"80:0\""),
        U(CT "[Network]\nPublishPort=:80\n", "web.unit:4: PublishPort:", "invalid port mapping \":80\""),
        U(CT "[Network]\nPublishPort=a:80\n", "web.unit:4: PublishPort:", "invalid port mapping \"a:80\""),
        U(CT "[Network]\nPublishPort=80:80/\n", "web.unit:4: PublishPort:", "invalid port mapping \"80:80/\""),
        U(CT "[Network]\nPublishPort=80:80 80:81\n", "web.unit:4: PublishPort:", "host port 80/tcp published twice"),
        U(CT "[Network]\nDNS=8.8.8\n", "web.unit:4: DNS:", "invalid IP address \"8.8.8\""),
        U(CT "[Network]\nDNS=1.1.1.1 nope\n", "web.unit:4: DNS:", "invalid IP address \"nope\""),
        U(CT "[Network]\nDNS=dns.google\n", "web.unit:4: DNS:", "invalid IP address \"dns.google\""),

        /* [Resources] */
        U(CT "[Resources]\nMemoryMax=12Q\n", "web.unit:4: MemoryMax:", "invalid size \"12Q\""),
        U(CT "[Resources]\nMemoryMax=-1K\n", "web.unit:4: MemoryMax:", "invalid size \"-1K\""),
        U(CT "[Resources]\nMemoryMax=1.2.3M\n", "web.unit:4: MemoryMax:", "invalid size \"1.2.3M\""),
        U(CT "[Resources]\nMemoryMax=99999999999T\n", "web.unit:4: MemoryMax:", "invalid size \"99999999999T\""),
        U(CT "[Resources]\nMemoryMax=1\n", "web.unit:4: MemoryMax:", "too small: \"1\" (at least 4K, or infinity)"),
        U(CT "[Resources]\nMemoryMax=0\n", "web.unit:4: MemoryMax:", "too small"),
        U(CT "[Resources]\nMemoryMax=1KB\n", "web.unit:4: MemoryMax:", "invalid size \"1KB\""),
        U(CT "[Resources]\nMemoryMax=K\n", "web.unit:4: MemoryMax:", "invalid size \"K\""),
        U(CT "[Resources]\nMemoryMax=infinite\n", "web.unit:4: MemoryMax:", "invalid size \"infinite\""),
        U(CT "[Resources]\nMemoryMax=.5G\n", "web.unit:4: MemoryMax:", "invalid size \".5G\""),
        U(CT "[Resources]\nMemoryMax=1 G\n", "web.unit:4: MemoryMax:", "invalid size \"1 G\""),
        U(CT "[Resources]\nMemoryHigh=12Q\n", "web.unit:4: MemoryHigh:", "invalid size \"12Q\""),
        U(CT "[Resources]\nMemoryHigh=100\n", "web.unit:4: MemoryHigh:", "too small"),
        U(CT "[Resources]\nMemoryHigh=5.G\n", "web.unit:4: MemoryHigh:", "invalid size \"5.G\""),
        U(CT "[Resources]\nCPUQuota=20\n", "web.unit:4: CPUQuota:", "invalid percentage \"20\" (expected e.g. 20%)"),
        U(CT "[Resources]\nCPUQuota=0%\n", "web.unit:4: CPUQuota:", "out of range: \"0%\" (must be more than 0%)"),
        U(CT "[Resources]\nCPUQuota=abc%\n", "web.unit:4: CPUQuota:", "invalid percentage \"abc%\""),
        U(CT "[Resources]\nCPUQuota=-5%\n", "web.unit:4: CPUQuota:", "invalid percentage \"-5%\""),
        U(CT "[Resources]\nCPUQuota=20%%\n", "web.unit:4: CPUQuota:", "invalid percentage \"20%%\""),
        U(CT "[Resources]\nCPUQuota=%\n", "web.unit:4: CPUQuota:", "invalid percentage \"%\""),
        U(CT "[Resources]\nCPUQuota=0.001%\n", "web.unit:4: CPUQuota:", "out of range"),
        U(CT "[Resources]\nCPUWeight=0\n", "web.unit:4: CPUWeight:", "invalid weight \"0\" (expected 1-10000)"),
        U(CT "[Resources]\nCPUWeight=10001\n", "web.unit:4: CPUWeight:", "invalid weight \"10001\""),
        U(CT "[Resources]\nCPUWeight=x\n", "web.unit:4: CPUWeight:", "invalid weight \"x\""),
        U(CT "[Resources]\nCPUWeight=-1\n", "web.unit:4: CPUWeight:", "invalid weight \"-1\""),
        U(CT "[Resources]\nIOWeight=0\n", "web.unit:4: IOWeight:", "invalid weight \"0\" (expected 1-10000)"),
        U(CT "[Resources]\nIOWeight=10001\n", "web.unit:4: IOWeight:", "invalid weight \"10001\""),
        U(CT "[Resources]\nIOWeight=x\n", "web.unit:4: IOWeight:", "invalid weight \"x\""),
        U(CT "[Resources]\nIOWeight=1.5\n", "web.unit:4: IOWeight:", "invalid weight \"1.5\""),
        U(CT "[Resources]\nAllowedCPUs=3-1\n", "web.unit:4: AllowedCPUs:",
          "invalid CPU list \"3-1\" (expected e.g. 0-1,3)"),
        U(CT "[Resources]\nAllowedCPUs=a\n", "web.unit:4: AllowedCPUs:", "invalid CPU list \"a\""),
        U(CT "[Resources]\nAllowedCPUs=1,,2\n", "web.unit:4: AllowedCPUs:", "invalid CPU list \"1,,2\""),
        U(CT "[Resources]\nAllowedCPUs=4096\n", "web.unit:4: AllowedCPUs:", "invalid CPU list \"4096\""),
        U(CT "[Resources]\nAllowedCPUs=0-\n", "web.unit:4: AllowedCPUs:", "invalid CPU list \"0-\""),
        U(CT "[Resources]\nAllowedCPUs=,0\n", "web.unit:4: AllowedCPUs:", "invalid CPU list \",0\""),
        U(CT "[Resources]\nAllowedCPUs=0,\n", "web.unit:4: AllowedCPUs:", "invalid CPU list \"0,\""),
        U(CT "[Resources]\nAllowedCPUs=1-2-3\n", "web.unit:4: AllowedCPUs:", "invalid CPU list \"1-2-3\""),
        U(CT "[Resources]\nTasksMax=0\n", "web.unit:4: TasksMax:",
          "invalid task count \"0\" (expected a number of at least 1, or infinity)"),
        U(CT "[Resources]\nTasksMax=-1\n", "web.unit:4: TasksMax:", "invalid task count \"-1\""),
        U(CT "[Resources]\nTasksMax=x\n", "web.unit:4: TasksMax:", "invalid task count \"x\""),
        U(CT "[Resources]\nTasksMax=4611686018427387904\n", "web.unit:4: TasksMax:", "invalid task count"),
        U(CT "[Resources]\nTasksMax=infinite\n", "web.unit:4: TasksMax:", "invalid task count \"infinite\""),

        /* Unknown keys, keys in the wrong section, keys outside any section. */
        U(CT "[Resources]\nMemroyMax=1G\n", "web.unit:4: MemroyMax:", "unknown key (did you mean MemoryMax=?)"),
        U(CT "[Resources]\nMemorymax=1G\n", "web.unit:4: Memorymax:", "unknown key (did you mean MemoryMax=?)"),
        U(CT "Memorymax=1G\n", "web.unit:3: Memorymax:", "unknown key (did you mean MemoryMax= in [Resources]?)"),
        U(CT "MemoryMax=1G\n", "web.unit:3: MemoryMax:", "unknown key in [Container] (it belongs in [Resources])"),
        U(CT "Restart=always\n", "web.unit:3: Restart:", "unknown key in [Container] (it belongs in [Service])"),
        U(CT "Address=10.0.0.2\n", "web.unit:3: Address:", "unknown key in [Container] (it belongs in [Network])"),
        U(CT "Description=x\n", "web.unit:3: Description:", "unknown key in [Container] (it belongs in [Unit])"),
        U(CT "[Service]\nExec=/bin/false\n", "web.unit:4: Exec:",
          "unknown key in [Service] (it belongs in [Container])"),
        U(CT "[Resources]\nBridge=sup0\n", "web.unit:4: Bridge:", "it belongs in [Network]"),
        U(CT "Frobnicate=1\n", "web.unit:3: Frobnicate:", "unknown key in [Container]"),
        U("[Container]\nexec=/bin/true\nExec=/bin/true\n", "web.unit:2: exec:", "unknown key (did you mean Exec=?)"),
        U(CT "Hostnmae=box\n", "web.unit:3: Hostnmae:", "unknown key (did you mean Hostname=?)"),
        U(CT "[Service]\nRestartSecs=1s\n", "web.unit:4: RestartSecs:", "unknown key (did you mean RestartSec=?)"),
        U(CT "[Network]\nBrigde=sup0\n", "web.unit:4: Brigde:", "unknown key (did you mean Bridge=?)"),
        U("Exec=/bin/true\n" CT, "web.unit:1: Exec:", "key outside of any section"),
        U("# a comment\nDescription=x\n[Unit]\n" CT, "web.unit:2: Description:", "key outside of any section"),

        /* Sections and syntax. */
        U(CT "[Foo]\nBar=1\n", "web.unit:3: [Foo]:", "unknown section"),
        U("[container]\nExec=/bin/true\n", "web.unit:1: [container]:", "unknown section (did you mean [Container]?)"),
        U(CT "[Install]\nWantedBy=multi-user.target\n", "web.unit:3: [Install]:", "unknown section"),
        U(CT "[Bridge]\nAddress=10.0.0.1/24\n", "web.unit:3: [Bridge]:", "unknown section"),
        U(CT "[]\n", "web.unit:3: []:", "unknown section"),
        U(CT "[Network ]\nBridge=sup0\n", "web.unit:3: [Network ]:", "unknown section"),
        U("[Container\nExec=/bin/true\n", "web.unit:1: syntax error: section header without ']'", NULL),
        U(CT "[Service\nRestart=no\n", "web.unit:3: syntax error: section header without ']'", NULL),
        U(CT "garbage\n", "web.unit:3: syntax error: expected Key=Value, [Section] or a comment", NULL),
        U(CT "Exec /bin/true\n", "web.unit:3: syntax error", NULL),
        U("[Unit]\nDescription=x\n\nAutoStart\n" CT, "web.unit:4: syntax error", NULL),
        U("[Container]\n  garbage\nExec=/bin/true\n", "web.unit:2: continuation line without a key before it", NULL),
        /* Lines have no length limit (SPEC §2): a long one is judged by its value alone. */
        U(CT "Hostname=" X200 "\n", "web.unit:3: Hostname:", "invalid hostname \"" X200 "\""),
        U(CT "Environment=A=" X200 " 1B=x\n", "web.unit:3: Environment:", "invalid assignment \"1B=x\""),
        U(CT "[Resources]\nMemoryMax=1G\n  2G\n", "web.unit:5: MemoryMax:",
          "continuation line for a single-valued key"),
        U(CT "[Service]\nRestart=no\n\talways\n", "web.unit:5: Restart:", "continuation line for a single-valued key"),
        U(CT "Hostname=box\n  other\n", "web.unit:4: Hostname:", "continuation line for a single-valued key"),
        U("[Unit]\nAutoStart=no\n  yes\n" CT, "web.unit:3: AutoStart:", "continuation line for a single-valued key"),

        /* Keys that need other keys. */
        U(CT "Namespaces=pid mnt\nHostname=box\n", "web.unit:4: Hostname:",
          "needs the uts namespace (add uts to Namespaces=)"),
        U(CT "Namespaces=pid\nRootFS=/srv/root\n", "web.unit:4: RootFS:",
          "needs the mnt namespace (add mnt to Namespaces=)"),
        U(CT "Namespaces=pid\nBind=/a:/b\n", "web.unit:4: Bind:", "needs the mnt namespace"),
        U(CT "Namespaces=pid\nTmpfs=/tmp\n", "web.unit:4: Tmpfs:", "needs the mnt namespace"),
        U(CT "Namespaces=pid\nReadOnly=yes\n", "web.unit:4: ReadOnly:", "needs the mnt namespace"),
        U(CT "Namespaces=pid\nLayers=/srv/layer\n", "web.unit:4: Layers:", "needs the mnt namespace"),
        U(CT "Namespaces=pid net\n[Network]\nDNS=1.1.1.1\n", "web.unit:5: DNS:", "needs the mnt namespace"),
        U(CT "Namespaces=pid mnt\n[Network]\nBridge=sup0\n", "web.unit:5: Bridge:",
          "needs the net namespace (add net to Namespaces=)"),
        U(CT "Namespaces=pid mnt\n[Network]\nAddress=auto\n", "web.unit:5: Address:", "needs the net namespace"),
        U(CT "Namespaces=pid mnt\n[Network]\nGateway=10.0.0.1\n", "web.unit:5: Gateway:", "needs the net namespace"),
        U(CT "Namespaces=pid mnt\n[Network]\nPublishPort=80:80\n", "web.unit:5: PublishPort:",
          "needs the net namespace"),
        U(CT "Namespaces=pid mnt\n[Network]\nDNS=1.1.1.1\n", "web.unit:5: DNS:", "needs the net namespace"),
        U(CT "[Network]\nAddress=10.0.0.2/24\n", "web.unit:4: Address:", "needs Bridge="),
        U(CT "[Network]\nAddress=10.0.0.2\n", "web.unit:4: Address:", "needs Bridge="),
        U(CT "[Network]\nGateway=10.0.0.1\n", "web.unit:4: Gateway:", "needs Bridge="),
        U(CT "[Network]\nPublishPort=8080:80\n", "web.unit:4: PublishPort:", "needs Bridge="),
        U(CT "RootFS=/srv/root\nOverlay=none\nLayers=/srv/layer\n", "web.unit:5: Layers:",
          "needs Overlay=ephemeral or Overlay=persistent"),
        U(CT "RootFS=/srv/root\nLayers=/srv/layer\n", "web.unit:4: Layers:", "needs Overlay="),
        U(CT "Overlay=ephemeral\n", "web.unit:3: Overlay:", "Overlay=ephemeral needs RootFS="),
        U(CT "Overlay=persistent\n", "web.unit:3: Overlay:", "Overlay=persistent needs RootFS="),
        U(CT "[Resources]\nMemoryMax=1G\nMemoryHigh=2G\n", "web.unit:5: MemoryHigh:", "is above MemoryMax="),
        U(CT "[Resources]\nMemoryHigh=2G\nMemoryMax=1G\n", "web.unit:4: MemoryHigh:", "is above MemoryMax="),
        U(CT "[Service]\nRestartSec=1min\nRestartMaxDelaySec=10s\n", "web.unit:5: RestartMaxDelaySec:",
          "RestartMaxDelaySec= is shorter than RestartSec="),
        U(CT "[Service]\nRestartSec=1min\n", "web.unit:4: RestartSec:",
          "RestartMaxDelaySec= is shorter than RestartSec="),
        U("", "web.unit:1: Exec:", "required key is missing in [Container]"),
        U("[Unit]\nDescription=x\n", "web.unit:1: Exec:", "required key is missing in [Container]"),
        U("[Unit]\nDescription=x\n\n[Container]\nUser=1\n", "web.unit:4: Exec:",
          "required key is missing in [Container]"),
        U("# only a comment\n[Container]\nUser=1\n", "web.unit:2: Exec:", "required key is missing in [Container]"),

        /* Invalid unit names. */
        NU("bad name.unit", "bad name", CT, "bad name.unit: invalid unit name \"bad name\"", NULL),
        NU(".hidden.unit", ".hidden", CT, ".hidden.unit: invalid unit name \".hidden\"", NULL),
        NU("-x.unit", "-x", CT, "-x.unit: invalid unit name \"-x\"", NULL),
        NU(NAME65 ".unit", NAME65, CT, NAME65 ".unit: invalid unit name", NULL),

        /* Bridges. */
        B("[Bridge]\nNAT=yes\n", "sup0.bridge:1: Address:", "required key is missing in [Bridge]"),
        B("", "sup0.bridge:1: Address:", "required key is missing in [Bridge]"),
        B("[Bridge]\nAddress=10.0.0.1\n", "sup0.bridge:2: Address:",
          "invalid CIDR \"10.0.0.1\" (expected e.g. 10.88.0.1/24)"),
        B("[Bridge]\nAddress=10.0.0.1/33\n", "sup0.bridge:2: Address:", "invalid CIDR \"10.0.0.1/33\""),
        B("[Bridge]\nAddress=10.0.0/24\n", "sup0.bridge:2: Address:", "invalid CIDR \"10.0.0/24\""),
        B("[Bridge]\nAddress=banana/24\n", "sup0.bridge:2: Address:", "invalid CIDR \"banana/24\""),
        B("[Bridge]\nAddress=fe80::1/129\n", "sup0.bridge:2: Address:", "invalid CIDR \"fe80::1/129\""),
        B("[Bridge]\nAddress=10.0.0.1/\n", "sup0.bridge:2: Address:", "invalid CIDR \"10.0.0.1/\""),
        B("[Bridge]\nAddress=10.0.0.1/31\n", "sup0.bridge:2: Address:",
          "prefix length /31 leaves no room for containers (use /8 to /30)"),
        B("[Bridge]\nAddress=10.0.0.1/32\n", "sup0.bridge:2: Address:", "prefix length /32 leaves no room"),
        B("[Bridge]\nAddress=10.0.0.1/4\n", "sup0.bridge:2: Address:", "prefix length /4 leaves no room"),
        B("[Bridge]\nAddress=10.0.0.1/0\n", "sup0.bridge:2: Address:", "prefix length /0 leaves no room"),
        B("[Bridge]\nAddress=fd00::1/127\n", "sup0.bridge:2: Address:",
          "prefix length /127 leaves no room for containers (use /8 to /126)"),
        B("[Bridge]\nAddress=10.0.0.0/24\n", "sup0.bridge:2: Address:", "is the subnet's network or broadcast address"),
        B("[Bridge]\nAddress=10.0.0.255/24\n", "sup0.bridge:2: Address:",
          "is the subnet's network or broadcast address"),
        B("[Bridge]\nAddress=10.255.255.255/8\n", "sup0.bridge:2: Address:", "network or broadcast"),
        B("[Bridge]\nAddress=fd00::/64\n", "sup0.bridge:2: Address:", "network or broadcast"),
        B("[Bridge]\nAddress=10.0.0.1/24\nNAT=maybe\n", "sup0.bridge:3: NAT:",
          "invalid boolean \"maybe\" (expected yes or no)"),
        B("[Bridge]\nAddress=10.0.0.1/24\nNAT=2\n", "sup0.bridge:3: NAT:", "invalid boolean \"2\""),
        B("[Bridge]\nAddress=10.0.0.1/24\nFoo=1\n", "sup0.bridge:3: Foo:", "unknown key in [Bridge]"),
        B("[Bridge]\nAdress=10.0.0.1/24\n", "sup0.bridge:2: Adress:", "unknown key (did you mean Address=?)"),
        B("[Bridge]\nAddress=10.0.0.1/24\nnat=yes\n", "sup0.bridge:3: nat:", "unknown key (did you mean NAT=?)"),
        B("[Bridge]\nAddress=10.0.0.1/24\nMemoryMax=1G\n", "sup0.bridge:3: MemoryMax:", "unknown key in [Bridge]"),
        B("[Container]\nExec=/bin/true\n[Bridge]\nAddress=10.0.0.1/24\n", "sup0.bridge:1: [Container]:",
          "unknown section"),
        B("[bridge]\nAddress=10.0.0.1/24\n", "sup0.bridge:1: [bridge]:", "unknown section"),
        B("Address=10.0.0.1/24\n[Bridge]\n", "sup0.bridge:1: Address:", "key outside of any section"),
        B("[Bridge]\nAddress=10.0.0.1/24\n  10.0.0.2/24\n", "sup0.bridge:3: Address:",
          "continuation line for a single-valued key"),
        B("[Bridge]\nAddress=10.0.0.1/24\nNAT\n", "sup0.bridge:3: syntax error", NULL),
        B("[Bridge\nAddress=10.0.0.1/24\n", "sup0.bridge:1: syntax error: section header without ']'", NULL),
        B("[Bridge]\nAddress=10.0.0.1/24\nNAT=" X200 "\n", "sup0.bridge:3: NAT:", "invalid boolean \"" X200 "\""),
        NB("averyveryverylongname.bridge", "averyveryverylongname", "[Bridge]\nAddress=10.0.0.1/24\n",
           "averyveryverylongname.bridge: invalid bridge name \"averyveryverylongname\"", "1-15"),
        NB("-br.bridge", "-br", "[Bridge]\nAddress=10.0.0.1/24\n", "-br.bridge: invalid bridge name \"-br\"", NULL),
        NB("br 0.bridge", "br 0", "[Bridge]\nAddress=10.0.0.1/24\n", "br 0.bridge: invalid bridge name \"br 0\"", NULL),
};

/* The row's text on one line, for the TAP name: newlines as "\n", '#' escaped (a TAP directive
 * otherwise), long texts cut. */
static char *row_title(const char *text) {
        size_t n = 0, max = 110;
        char *s = malloc(2 * max + 8);

        if (!s)
                return NULL;
        for (const char *p = text; *p && n < 2 * max; p++) {
                if (*p == '\n') {
                        s[n++] = '\\';
                        s[n++] = 'n';
                } else if (*p == '#') {
                        s[n++] = '\\';
                        s[n++] = '#';
                } else if (*p == '\t') {
                        s[n++] = '\\';
                        s[n++] = 't';
                } else
                        s[n++] = *p;
        }
        if (n >= 2 * max) {
                n = 2 * max;
                memcpy(s + n, "...", 3);
                n += 3;
        }
        s[n] = '\0';
        return s;
}

static unsigned n_checks;

/* Parses the row and checks it; explanations for a failure go to @out. Frees everything, so that
 * the leak checker of the child that runs it has nothing to report. */
static bool evaluate_row(const struct row *row, FILE *out) {
        _cleanup_free_ char *first = NULL;
        struct unit_diag *diags = NULL;
        size_t n = 0;
        int state = -1, r;
        bool good;

        if (row->kind == ROW_UNIT) {
                struct unit_config *u = NULL;
                r = unit_config_parse_string(row->display ?: "web.unit", row->name ?: "web", row->text, &diags, &n,
                                             &u);
                if (r >= 0 && u)
                        state = u->load_state;
                unit_config_free(u);
        } else {
                struct bridge_config *b = NULL;
                r = bridge_config_parse_string(row->display ?: "sup0.bridge", row->name ?: "sup0", row->text,
                                               &diags, &n, &b);
                if (r >= 0 && b)
                        state = b->load_state;
                bridge_config_free(b);
        }
        if (n > 0)
                first = unit_diag_format(&diags[0]);

        bool parsed = r >= 0;
        bool is_error = state == UNIT_LOAD_ERROR;
        bool prefix_ok = first && strncmp(first, row->prefix, strlen(row->prefix)) == 0;
        bool message_ok = !row->message || (first && strstr(first, row->message));

        good = parsed && is_error && prefix_ok && message_ok;
        if (!good) {
                if (!parsed)
                        fprintf(out, "parse returned %s\n", strerror(-r));
                if (!is_error)
                        fprintf(out, "load state %s, want error\n",
                                state < 0 ? "(none)" : unit_load_state_to_string((enum unit_load_state) state));
                fprintf(out, "want prefix:  %s\n", row->prefix);
                if (row->message)
                        fprintf(out, "want message: ...%s...\n", row->message);
                for (size_t j = 0; j < n; j++) {
                        _cleanup_free_ char *s = unit_diag_format(&diags[j]);
                        fprintf(out, "got [%zu]:      %s\n", j, s ?: "(oom)");
                }
                if (n == 0)
                        fprintf(out, "got no diagnostic\n");
        }
        unit_diags_free(diags, n);
        return good;
}

static void row_result(size_t i, bool good, char *why) {
        _cleanup_free_ char *title = row_title(rows[i].text);

        ok(good, "row %zu: %s%s%s", i, rows[i].display ?: "", rows[i].display ? ": " : "",
           !title ? "(oom)" : *title ? title : "(empty file)");
        if (good)
                return;
        for (char *l = why, *e; l && *l; l = e ? e + 1 : NULL) {
                e = strchr(l, '\n');
                if (e)
                        *e = '\0';
                diag("%s", l);
        }
}

/* The child's side: evaluates rows from @first on and sends, for each, "INDEX Y|N LENGTH\n" and
 * LENGTH bytes of explanation. Then exits normally, so that LeakSanitizer checks it. */
_noreturn_ static void run_rows_child(size_t first, int fd) {
        FILE *f = fdopen(fd, "we");

        if (!f)
                _exit(EXIT_FAILURE);
        for (size_t i = first; i < ELEMENTSOF(rows); i++) {
                char *text = NULL;
                size_t len = 0;
                FILE *m = open_memstream(&text, &len);
                bool good;

                if (!m)
                        _exit(EXIT_FAILURE);
                good = evaluate_row(&rows[i], m);
                fclose(m);
                fprintf(f, "%zu %c %zu\n", i, good ? 'Y' : 'N', len);
                fwrite(text, 1, len, f);
                fflush(f); /* before the next row, which might crash */
                free(text);
        }
        fclose(f);
        exit(EXIT_SUCCESS);
}

/* The rows run in a child process, so that a parser crash fails its row and not the whole test:
 * after a crash, a new child goes on with the next row. Each child's exit status also tells
 * whether LeakSanitizer found a leak in the rows it ran. */
static void test_table(void) {
        size_t next = 0;

        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                n_checks += 3 + !!rows[i].message; /* parse, load state, prefix, message */

        while (next < ELEMENTSOF(rows)) {
                size_t first = next;
                int fds[2], status = 0;
                FILE *f;
                pid_t pid;

                fflush(stdout);
                fflush(stderr);
                if (pipe2(fds, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
                        ok(0, "rows %zu-: cannot start a child: %s", first, strerror(errno));
                        return;
                }
                if (pid == 0) {
                        close(fds[0]);
                        run_rows_child(first, fds[1]);
                }
                close(fds[1]);
                f = fdopen(fds[0], "re");
                for (;;) {
                        size_t i, len;
                        char c;
                        if (!f || fscanf(f, "%zu %c %zu\n", &i, &c, &len) != 3 || i != next)
                                break;
                        _cleanup_free_ char *why = calloc(len + 1, 1);
                        if (!why || fread(why, 1, len, f) != len)
                                break;
                        row_result(i, c == 'Y', why);
                        next = i + 1;
                }
                if (f)
                        fclose(f);
                else
                        close(fds[0]);
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;

                bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
                if (next < ELEMENTSOF(rows)) {
                        /* The child died in the middle of row "next". */
                        _cleanup_free_ char *why = NULL;
                        if (asprintf(&why, "the parser crashed (%s %d): see the sanitizer report on stderr",
                                     WIFSIGNALED(status) ? "signal" : "exit status",
                                     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status)) < 0)
                                why = NULL;
                        row_result(next, false, why);
                        next++;
                } else
                        ok(clean, "rows %zu-%zu: no leak, no error at exit (status %d)", first, next - 1,
                           WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
        }
}

/* ---- several errors in one file --------------------------------------------------------------- */

static void test_three_errors(void) {
        static const char text[] =
                "[Container]\n"         /* 1 */
                "ReadOnly=maybe\n"      /* 2: error */
                "Exec=/bin/true\n"      /* 3 */
                "[Service]\n"           /* 4 */
                "Restart=sometimes\n"   /* 5: error */
                "Type=notify\n"         /* 6 */
                "\n"                    /* 7 */
                "[Resources]\n"         /* 8 */
                "MemoryMax=12Q\n";      /* 9: error */
        static const char *const want[] = {
                "web.unit:2: ReadOnly: invalid boolean \"maybe\"",
                "web.unit:5: Restart: invalid value \"sometimes\"",
                "web.unit:9: MemoryMax: invalid size \"12Q\"",
        };
        struct unit_diag *diags = NULL;
        struct unit_config *u = NULL;
        size_t n = 0;
        int r;

        r = unit_config_parse_string("web.unit", "web", text, &diags, &n, &u);
        ok(r == 0 && u, "three errors: parses");
        ok(u && u->load_state == UNIT_LOAD_ERROR, "three errors: load state error");
        is_int(n, 3, "three errors: exactly three diagnostics");
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                _cleanup_free_ char *s = i < n ? unit_diag_format(&diags[i]) : NULL;
                ok(s && strncmp(s, want[i], strlen(want[i])) == 0, "three errors: diagnostic %zu is \"%s\"", i + 1,
                   want[i]);
                if (s && strncmp(s, want[i], strlen(want[i])) != 0)
                        diag("got: %s", s);
        }
        for (size_t i = 0; i + 1 < n; i++)
                if (diags[i].line >= diags[i + 1].line) {
                        diag("diagnostics out of order: line %u before line %u", diags[i].line, diags[i + 1].line);
                        break;
                }
        ok(n == 3 && diags[0].line == 2 && diags[1].line == 5 && diags[2].line == 9,
           "three errors: lines 2, 5, 9 in order");
        ok(u && u->load_error && strncmp(u->load_error, want[0], strlen(want[0])) == 0,
           "three errors: load_error is the first one");
        unit_config_free(u);
        unit_diags_free(diags, n);
}

/* ---- odd lines -------------------------------------------------------------------------------- */

static void test_odd_lines(void) {
        struct unit_diag *d = NULL;
        struct unit_config *u = NULL;
        size_t n = 0;
        int r;

        /* Nothing before the '=': reported on its own line, and not as "web.unit:3: : …" with an
         * empty KEY field. */
        r = unit_config_parse_string("web.unit", "web", CT "=value\n", &d, &n, &u);
        ok(r == 0 && u && u->load_state == UNIT_LOAD_ERROR, "empty key name: an error");
        ok(n >= 1 && d[0].line == 3 && !(d[0].key && d[0].key[0] == '\0'),
           "empty key name: reported at line 3, without an empty KEY field");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *t = unit_diag_format(&d[i]);
                diag("  %s", t ?: "(oom)");
        }
        unit_config_free(u);
        unit_diags_free(d, n);
        d = NULL;
        u = NULL;
        n = 0;

        /* An indented section header after a key: the reader takes it for a section (and switches
         * to [Service]), so it must not also be handed on as a continuation of Exec=, which ends in
         * "Exec: unknown key in [Service]" for a key that is in [Container]. */
        r = unit_config_parse_string("web.unit", "web", CT "  [Service]\nRestart=always\n", &d, &n, &u);
        ok(r == 0 && u && strv_length(u->exec) == 1 && !(n > 0 && d[0].key && streq(d[0].key, "Exec")),
           "an indented [Service] header is not a continuation of Exec=");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *t = unit_diag_format(&d[i]);
                diag("  %s", t ?: "(oom)");
        }
        unit_config_free(u);
        unit_diags_free(d, n);
}

/* ---- files on disk ---------------------------------------------------------------------------- */

static int write_file(const char *dir, const char *rel, const char *text) {
        _cleanup_free_ char *p = NULL;
        FILE *f;
        int r;

        if (asprintf(&p, "%s/%s", dir, rel) < 0)
                return -ENOMEM;
        f = fopen(p, "we");
        if (!f)
                return -errno;
        r = fputs(text, f) < 0 ? -EIO : 0;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        return r;
}

static int make_dir(const char *dir, const char *rel) {
        _cleanup_free_ char *p = NULL;

        if (asprintf(&p, "%s/%s", dir, rel) < 0)
                return -ENOMEM;
        return mkdir(p, 0755) < 0 ? -errno : 0;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) st;
        (void) ftw;
        return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

static void rm_rf(const char *dir) {
        if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
                diag("cannot remove %s: %s", dir, strerror(errno));
}

/* Writes NULL-terminated pairs of (relative path, text); a path ending in '/' is a directory. */
static char *make_tree(const char *const *files) {
        char tmpl[] = "/tmp/sup-test-bad-inputs-XXXXXX";
        char *dir;

        if (!mkdtemp(tmpl))
                return NULL;
        dir = strdup(tmpl);
        if (!dir) {
                rmdir(tmpl);
                return NULL;
        }
        for (size_t i = 0; files[i]; i += 2) {
                size_t l = strlen(files[i]);
                int r = l > 0 && files[i][l - 1] == '/' ? make_dir(dir, files[i])
                                                         : write_file(dir, files[i], files[i + 1]);
                if (r < 0) {
                        diag("cannot create %s/%s: %s", dir, files[i], strerror(-r));
                        rm_rf(dir);
                        free(dir);
                        return NULL;
                }
        }
        return dir;
}

/* The diagnostics of @s whose file is DIR/REL, formatted, as a NULL-terminated vector. */
static char **diags_of(const struct unit_set *s, const char *dir, const char *rel) {
        _cleanup_free_ char *p = NULL;
        char **l;
        size_t n = 0;

        if (asprintf(&p, "%s/%s", dir, rel) < 0)
                return NULL;
        l = calloc(s->n_diags + 1, sizeof(char *));
        if (!l)
                return NULL;
        for (size_t i = 0; i < s->n_diags; i++)
                if (streq(s->diags[i].file, p)) {
                        l[n] = unit_diag_format(&s->diags[i]);
                        if (!l[n])
                                return strv_free(l);
                        n++;
                }
        return l;
}

static void dump_diags(const struct unit_set *s) {
        for (size_t i = 0; i < s->n_diags; i++) {
                _cleanup_free_ char *t = unit_diag_format(&s->diags[i]);
                diag("  %s", t ?: "(oom)");
        }
}

/* True when @s starts with "DIR/REL" followed by @rest. */
static bool starts_with_path(const char *s, const char *dir, const char *rel, const char *rest) {
        _cleanup_free_ char *want = NULL;

        if (!s || asprintf(&want, "%s/%s%s", dir, rel, rest) < 0)
                return false;
        return strncmp(s, want, strlen(want)) == 0;
}

static void test_dropins(void) {
        static const char *const files[] = {
                "web.unit", "[Container]\nExec=/bin/true\n",
                "web.unit.d/", NULL,
                "web.unit.d/10-a.conf",
                "[Resources]\n"         /* 1 */
                "MemoryMax=12Q\n"       /* 2: error */
                "[Container]\n"         /* 3 */
                "Namespaces=pid mnt\n"  /* 4 */
                "Hostname=box\n",       /* 5: error, needs uts (found after all files are read) */
                "web.unit.d/20-b.conf",
                "# comment\n"           /* 1 */
                "\n"                    /* 2 */
                "[Service]\n"           /* 3 */
                "Restart=sometimes\n",  /* 4: error */
                NULL,
        };
        _cleanup_(unit_set_freep) struct unit_set *s = NULL;
        _cleanup_free_ char *dir = make_tree(files);
        _cleanup_strv_free_ char **main_d = NULL, **a = NULL, **b = NULL;
        struct unit_config *u;

        if (!ok(dir != NULL, "drop-ins: temporary directory"))
                return;
        if (!ok(unit_set_load_dir(dir, &s) == 0, "drop-ins: directory loads"))
                goto out;
        u = unit_set_find_unit(s, "web");
        ok(u && u->load_state == UNIT_LOAD_ERROR, "drop-ins: an error in a drop-in is an error of the unit");
        main_d = diags_of(s, dir, "web.unit");
        a = diags_of(s, dir, "web.unit.d/10-a.conf");
        b = diags_of(s, dir, "web.unit.d/20-b.conf");
        ok(main_d && strv_length(main_d) == 0, "drop-ins: nothing reported against web.unit itself");
        ok(a && strv_length(a) == 2, "drop-ins: two errors reported in 10-a.conf");
        ok(a && a[0] && starts_with_path(a[0], dir, "web.unit.d/10-a.conf", ":2: MemoryMax: invalid size \"12Q\""),
           "drop-ins: 10-a.conf:2: MemoryMax");
        ok(a && a[0] && a[1] && starts_with_path(a[1], dir, "web.unit.d/10-a.conf", ":5: Hostname: needs the uts"),
           "drop-ins: a cross-key error points at the drop-in line that set the key (10-a.conf:5)");
        ok(b && strv_length(b) == 1 &&
                   starts_with_path(b[0], dir, "web.unit.d/20-b.conf", ":4: Restart: invalid value"),
           "drop-ins: 20-b.conf:4: Restart, with the drop-in's own line number");
        ok(u && starts_with_path(u->load_error, dir, "web.unit.d/10-a.conf", ":2: MemoryMax:"),
           "drop-ins: load_error is the first error, in 10-a.conf");
        if (!(a && strv_length(a) == 2 && b && strv_length(b) == 1))
                dump_diags(s);
out:
        rm_rf(dir);
}

/* ---- cross-unit checks ------------------------------------------------------------------------ */

#define NET_UNIT(extra) "[Container]\nExec=/bin/true\n[Network]\n" extra

static void check_unit_error(const struct unit_set *s, const char *dir, const char *name, const char *rest,
                             const char *message, const char *title) {
        struct unit_config *u = unit_set_find_unit(s, name);
        _cleanup_free_ char *rel = NULL;
        bool good;

        if (asprintf(&rel, "%s.unit", name) < 0) {
                ok(0, "%s (oom)", title);
                return;
        }
        good = u && u->load_state == UNIT_LOAD_ERROR && starts_with_path(u->load_error, dir, rel, rest) &&
               (!message || strstr(u->load_error, message));
        ok(good, "%s", title);
        if (!good) {
                diag("want: %s/%s%s ...%s...", dir, rel, rest, message ?: "");
                diag("got:  %s (%s)", u ? u->load_error ?: "(no error)" : "(no unit)",
                     u ? unit_load_state_to_string(u->load_state) : "-");
        }
}

static void test_cross_unit(void) {
        static const char *const files[] = {
                "sup0.bridge", "[Bridge]\nAddress=10.88.0.1/24\n",
                "bad0.bridge", "[Bridge]\nAddress=10.89.0.0/24\n",
                /* line 4 is the first key of [Network] */
                "nobridge.unit", NET_UNIT("Bridge=nobr\n"),
                "badbridge.unit", NET_UNIT("Bridge=bad0\n"),
                "outside.unit", NET_UNIT("Bridge=sup0\nAddress=10.99.0.5/24\n"),
                "outsidebare.unit", NET_UNIT("Bridge=sup0\nAddress=10.99.0.5\n"),
                "itself.unit", NET_UNIT("Bridge=sup0\nAddress=10.88.0.1\n"),
                "itselfcidr.unit", NET_UNIT("Bridge=sup0\nAddress=10.88.0.1/24\n"),
                "broadcast.unit", NET_UNIT("Bridge=sup0\nAddress=10.88.0.255\n"),
                "network.unit", NET_UNIT("Bridge=sup0\nAddress=10.88.0.0/24\n"),
                "prefix.unit", NET_UNIT("Bridge=sup0\nAddress=10.88.0.5/16\n"),
                "family.unit", NET_UNIT("Bridge=sup0\nAddress=fd00::5/64\n"),
                "gateway.unit", NET_UNIT("Bridge=sup0\nGateway=192.168.1.1\n"),
                "good.unit", NET_UNIT("Bridge=sup0\nAddress=10.88.0.5/24\nGateway=10.88.0.1\n"),
                "a.unit", "[Unit]\nRequires=b\n" CT,
                "b.unit", "[Unit]\nAfter=a\n" CT,
                "x.unit", "[Unit]\nWants=y\n" CT,
                "y.unit", "[Unit]\nAfter=z\n" CT,
                "z.unit", "[Unit]\nRequires=x\n" CT,
                "p.unit", "[Unit]\nRequires=q\n" CT,
                "q.unit", "[Unit]\nRequires=p\nAfter=p\n" CT,
                NULL,
        };
        _cleanup_(unit_set_freep) struct unit_set *s = NULL;
        _cleanup_free_ char *dir = make_tree(files);
        struct unit_config *a, *b, *good;

        if (!ok(dir != NULL, "cross-unit: temporary directory"))
                return;
        if (!ok(unit_set_load_dir(dir, &s) == 0, "cross-unit: directory loads"))
                goto out;
        is_int(s->n_units, 19, "cross-unit: every unit is kept, broken or not");

        check_unit_error(s, dir, "nobridge", ":4: Bridge:", "no bridge \"nobr\"",
                         "cross-unit: Bridge= naming a missing bridge");
        check_unit_error(s, dir, "badbridge", ":4: Bridge:", "bad0", "cross-unit: Bridge= naming a bridge with errors");
        check_unit_error(s, dir, "outside", ":5: Address:", "10.99.0.5 is outside the subnet of bridge sup0",
                         "cross-unit: Address= outside the bridge subnet");
        check_unit_error(s, dir, "outsidebare", ":5: Address:", "outside the subnet",
                         "cross-unit: a bare Address= outside the bridge subnet");
        check_unit_error(s, dir, "itself", ":5: Address:", "10.88.0.1 is the address of bridge sup0 itself",
                         "cross-unit: Address= equal to the bridge's own address");
        check_unit_error(s, dir, "itselfcidr", ":5: Address:", "address of bridge sup0 itself",
                         "cross-unit: Address= equal to the bridge's own address, as a CIDR");
        check_unit_error(s, dir, "broadcast", ":5: Address:", "network or broadcast",
                         "cross-unit: Address= is the broadcast address");
        check_unit_error(s, dir, "network", ":5: Address:", "network or broadcast",
                         "cross-unit: Address= is the network address");
        check_unit_error(s, dir, "prefix", ":5: Address:", "prefix /16 differs",
                         "cross-unit: Address= with another prefix length than the bridge");
        check_unit_error(s, dir, "family", ":5: Address:", "address family",
                         "cross-unit: an IPv6 Address= on an IPv4 bridge");
        check_unit_error(s, dir, "gateway", ":5: Gateway:", "192.168.1.1 is outside the subnet of bridge sup0",
                         "cross-unit: Gateway= outside the bridge subnet");

        a = unit_set_find_unit(s, "a");
        b = unit_set_find_unit(s, "b");
        ok(a && a->load_state == UNIT_LOAD_ERROR && b && b->load_state == UNIT_LOAD_ERROR,
           "cross-unit: both units of a cycle a -> b -> a are in error");
        check_unit_error(s, dir, "a", ":2: Requires:", "dependency cycle",
                         "cross-unit: the cycle is reported at a's Requires=");
        check_unit_error(s, dir, "b", ":2: After:", "dependency cycle",
                         "cross-unit: the cycle is reported at b's After=");
        ok(a && a->load_error && (strstr(a->load_error, "a -> b -> a") || strstr(a->load_error, "b -> a -> b")),
           "cross-unit: the cycle message names both units in order");
        ok(b && b->load_error && (strstr(b->load_error, "a -> b -> a") || strstr(b->load_error, "b -> a -> b")),
           "cross-unit: b's message names the cycle too");
        for (const char *const *n = (const char *const[]) { "x", "y", "z", NULL }; *n; n++) {
                struct unit_config *u = unit_set_find_unit(s, *n);
                ok(u && u->load_state == UNIT_LOAD_ERROR && u->load_error &&
                   (strstr(u->load_error, "x -> y -> z -> x") || strstr(u->load_error, "y -> z -> x -> y") ||
                    strstr(u->load_error, "z -> x -> y -> z")),
                   "cross-unit: %s is in the three-unit cycle through Wants=, After=, Requires=", *n);
        }

        {
                /* q names p twice (Requires= and After=): still one cycle, one error per unit. */
                _cleanup_strv_free_ char **p = diags_of(s, dir, "p.unit");
                _cleanup_strv_free_ char **q = diags_of(s, dir, "q.unit");
                ok(p && q && strv_length(p) == 1 && strv_length(q) == 1,
                   "cross-unit: a cycle p -> q -> p is reported once per unit, though q names p twice");
                for (size_t i = 0; p && p[i]; i++)
                        diag("  %s", p[i]);
                for (size_t i = 0; q && q[i]; i++)
                        diag("  %s", q[i]);
        }

        good = unit_set_find_unit(s, "good");
        ok(good && good->load_state == UNIT_LOADED && !good->load_error,
           "cross-unit: a correct unit on the same bridge loads");
        {
                _cleanup_strv_free_ char **g = diags_of(s, dir, "good.unit");
                _cleanup_strv_free_ char **br = diags_of(s, dir, "sup0.bridge");
                ok(g && strv_length(g) == 0 && br && strv_length(br) == 0,
                   "cross-unit: nothing reported against good.unit or sup0.bridge");
        }
        {
                struct bridge_config *b0 = unit_set_find_bridge(s, "bad0");
                ok(b0 && b0->load_state == UNIT_LOAD_ERROR && starts_with_path(b0->load_error, dir, "bad0.bridge",
                                                                                ":2: Address:"),
                   "cross-unit: the broken bridge reports its own error");
        }
out:
        rm_rf(dir);
}

/* ---- a good unit next to a broken one --------------------------------------------------------- */

static void test_good_next_to_broken(void) {
        static const char *const files[] = {
                "ok.unit", "[Unit]\nDescription=fine\n[Container]\nExec=/bin/sleep 1d\n[Resources]\nMemoryMax=64M\n",
                "broken.unit", "[Container]\nExec=/bin/true\n[Resources]\nMemoryMax=12Q\n",
                NULL,
        };
        _cleanup_(unit_set_freep) struct unit_set *s = NULL;
        _cleanup_free_ char *dir = make_tree(files);
        _cleanup_strv_free_ char **okd = NULL, **brd = NULL;
        struct unit_config *good, *broken;

        if (!ok(dir != NULL, "good and broken: temporary directory"))
                return;
        if (!ok(unit_set_load_dir(dir, &s) == 0, "good and broken: directory loads"))
                goto out;
        good = unit_set_find_unit(s, "ok");
        broken = unit_set_find_unit(s, "broken");
        okd = diags_of(s, dir, "ok.unit");
        brd = diags_of(s, dir, "broken.unit");
        ok(good && good->load_state == UNIT_LOADED && !good->load_error, "good and broken: the good unit is loaded");
        ok(okd && strv_length(okd) == 0, "good and broken: zero diagnostics for the good unit");
        ok(good && good->memory_max == 64 * 1024 * 1024 && good->exec && streq(good->exec[0], "/bin/sleep"),
           "good and broken: the good unit has its values");
        ok(broken && broken->load_state == UNIT_LOAD_ERROR, "good and broken: the broken unit is in error");
        ok(brd && strv_length(brd) == 1 && starts_with_path(brd[0], dir, "broken.unit", ":4: MemoryMax: invalid size"),
           "good and broken: the broken unit's one diagnostic");
        is_int(s->n_diags, 1, "good and broken: one diagnostic in all");
        if (s->n_diags != 1)
                dump_diags(s);
out:
        rm_rf(dir);
}

/* ---- a file whose name is no unit name ---------------------------------------------------------- */

/* Runs in a child: unit_set_load_dir() must not crash on it. */
static void test_bad_file_name(void) {
        static const char *const files[] = {
                "bad name.unit", CT,
                "-dash.unit", CT,
                "fine.unit", CT,
                NULL,
        };
        _cleanup_free_ char *dir = make_tree(files);
        int status = 0;
        pid_t pid;

        if (!ok(dir != NULL, "bad file name: temporary directory"))
                return;
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0) {
                ok(0, "bad file name: fork: %s", strerror(errno));
                goto out;
        }
        if (pid == 0) {
                struct unit_set *s = NULL;
                int code = 2;

                if (unit_set_load_dir(dir, &s) == 0) {
                        struct unit_config *b = unit_set_find_unit(s, "bad name");
                        struct unit_config *d = unit_set_find_unit(s, "-dash");
                        struct unit_config *g = unit_set_find_unit(s, "fine");
                        code = 3;
                        if (b && b->load_state == UNIT_LOAD_ERROR && b->load_error &&
                            strstr(b->load_error, "invalid unit name") && d && d->load_state == UNIT_LOAD_ERROR &&
                            g && g->load_state == UNIT_LOADED)
                                code = 0;
                }
                unit_set_free(s);
                free(TAKE_PTR(dir));
                exit(code);
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "bad file name: \"bad name.unit\" and \"-dash.unit\" are units in error, \"fine.unit\" loads");
        if (WIFSIGNALED(status))
                diag("the loader crashed: %s", strsignal(WTERMSIG(status)));
        else if (WEXITSTATUS(status) == 1)
                diag("the loader crashed: see the sanitizer report on stderr");
        else if (WEXITSTATUS(status) != 0)
                diag("wrong result (code %d)", WEXITSTATUS(status));
out:
        rm_rf(dir);
}

/* ---- what is not a regular file ---------------------------------------------------------------- */

/* A FIFO, socket, character device (1:3, as /dev/null) or symlink to @target at DIR/REL. */
static int make_node(const char *dir, const char *rel, char kind, const char *target) {
        _cleanup_free_ char *p = NULL;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, r = 0;

        if (asprintf(&p, "%s/%s", dir, rel) < 0)
                return -ENOMEM;
        switch (kind) {
        case 'p':
                return mkfifo(p, 0600) < 0 ? -errno : 0;
        case 'c':
                return mknod(p, S_IFCHR | 0600, makedev(1, 3)) < 0 ? -errno : 0;
        case 'l':
                return symlink(target, p) < 0 ? -errno : 0;
        case 's':
                if (strlen(p) >= sizeof(sa.sun_path))
                        return -ENAMETOOLONG;
                strcpy(sa.sun_path, p);
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return -errno;
                if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                        r = -errno;
                close(fd);
                return r;
        default:
                return -EINVAL;
        }
}

/* The unit NAME is in error and its load_error is exactly "DIR/REL: MESSAGE". */
static void check_refused(const struct unit_set *s, const char *dir, const char *name, const char *rel,
                          const char *message, const char *title) {
        struct unit_config *u = unit_set_find_unit(s, name);
        _cleanup_free_ char *want = NULL;
        bool good;

        if (asprintf(&want, "%s/%s: %s", dir, rel, message) < 0) {
                ok(0, "%s (oom)", title);
                return;
        }
        good = u && u->load_state == UNIT_LOAD_ERROR && u->load_error && streq(u->load_error, want);
        ok(good, "%s", title);
        if (!good) {
                diag("want: %s", want);
                diag("got:  %s", u ? u->load_error ?: "(no error)" : "(no unit)");
        }
}

/* unit_set_load_paths() of DIR/REL alone: one diag, exactly "DIR/DIAG_REL: MESSAGE". */
static void check_verify(const char *dir, const char *rel, const char *diag_rel, const char *message,
                         const char *title) {
        _cleanup_(unit_set_freep) struct unit_set *s = NULL;
        _cleanup_free_ char *path = NULL, *want = NULL, *got = NULL;
        char *paths[2] = {};

        if (asprintf(&path, "%s/%s", dir, rel) < 0 ||
            asprintf(&want, "%s/%s: %s", dir, diag_rel, message) < 0) {
                ok(0, "%s (oom)", title);
                return;
        }
        paths[0] = path;
        if (!ok(unit_set_load_paths(paths, &s) == 0, "%s: loads", title))
                return;
        got = s->n_diags > 0 ? unit_diag_format(&s->diags[0]) : NULL;
        ok(s->n_diags == 1 && streq_ptr(got, want), "%s", title);
        if (s->n_diags != 1 || !streq_ptr(got, want)) {
                diag("want: %s", want);
                dump_diags(s);
        }
}

/* Each can be loaded only if it is refused unopened: a FIFO would block an open(2) for reading,
 * and the alarm turns such a hang into a failure. */
static void test_not_regular(void) {
        static const char *const files[] = {
                "good.unit", CT,
                "dir.unit/", NULL,
                "dfifo.unit", CT,
                "dfifo.unit.d/", NULL,
                "dsock.unit", CT,
                "dsock.unit.d/", NULL,
                "ddir.unit", CT,
                "ddir.unit.d/", NULL,
                "ddir.unit.d/10.conf/", NULL,
                "dloop.unit", CT,
                "dloop.unit.d/", NULL,
                "nfile.unit", CT,
                "nfile.unit.d", "[Service]\n",
                "nfifo.unit", CT,
                "onbr.unit", NET_UNIT("Bridge=br0\n"),
                NULL,
        };
        static const struct {
                const char *rel;
                char kind;
                const char *target;
        } nodes[] = {
                { "fifo.unit", 'p', NULL },
                { "sock.unit", 's', NULL },
                { "loop.unit", 'l', "loop2.unit" },
                { "loop2.unit", 'l', "loop.unit" },
                { "dangling.unit", 'l', "nowhere.unit" },
                { "dfifo.unit.d/10.conf", 'p', NULL },
                { "dsock.unit.d/10.conf", 's', NULL },
                { "dloop.unit.d/10.conf", 'l', "20.conf" },
                { "dloop.unit.d/20.conf", 'l', "10.conf" },
                { "nfifo.unit.d", 'p', NULL },
                { "br0.bridge", 'p', NULL },
        };
        _cleanup_(unit_set_freep) struct unit_set *s = NULL;
        _cleanup_free_ char *dir = make_tree(files);
        struct bridge_config *b;
        struct unit_config *u;
        bool have_dev;
        int r;

        if (!ok(dir != NULL, "not regular: temporary directory"))
                return;
        for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
                r = make_node(dir, nodes[i].rel, nodes[i].kind, nodes[i].target);
                if (!ok(r == 0, "not regular: make %s", nodes[i].rel)) {
                        diag("%s", strerror(-r));
                        goto out;
                }
        }
        /* Only with CAP_MKNOD. */
        r = make_node(dir, "dev.unit", 'c', NULL);
        have_dev = r == 0;
        if (!have_dev)
                diag("no device node (%s): that case is skipped", strerror(-r));

        alarm(10);
        r = unit_set_load_dir(dir, &s);
        alarm(0);
        if (!ok(r == 0, "not regular: the directory loads, without blocking"))
                goto out;

        check_refused(s, dir, "fifo", "fifo.unit", "not a regular file (FIFO)", "not regular: a FIFO as a unit");
        check_refused(s, dir, "sock", "sock.unit", "not a regular file (socket)", "not regular: a socket as a unit");
        check_refused(s, dir, "dir", "dir.unit", "not a regular file (directory)",
                      "not regular: a directory named x.unit");
        check_refused(s, dir, "loop", "loop.unit", "symlink loop (too many levels of symbolic links)",
                      "not regular: a symlink loop a.unit -> b.unit -> a.unit");
        check_refused(s, dir, "loop2", "loop2.unit", "symlink loop (too many levels of symbolic links)",
                      "not regular: ... both ends of it");
        if (have_dev)
                check_refused(s, dir, "dev", "dev.unit", "not a regular file (character device)",
                              "not regular: a device node as a unit");
        else
                ok(1, "# SKIP no device node");
        ok(!unit_set_find_unit(s, "dangling"), "not regular: a dangling symlink is no unit");
        {
                _cleanup_strv_free_ char **d = diags_of(s, dir, "dangling.unit");
                ok(d && strv_length(d) == 0, "not regular: ... and no error");
        }

        check_refused(s, dir, "dfifo", "dfifo.unit.d/10.conf", "not a regular file (FIFO)",
                      "not regular: a FIFO as a drop-in makes its unit fail, naming it");
        check_refused(s, dir, "dsock", "dsock.unit.d/10.conf", "not a regular file (socket)",
                      "not regular: a socket as a drop-in");
        check_refused(s, dir, "ddir", "ddir.unit.d/10.conf", "not a regular file (directory)",
                      "not regular: a directory named 10.conf");
        check_refused(s, dir, "dloop", "dloop.unit.d/10.conf", "symlink loop (too many levels of symbolic links)",
                      "not regular: a symlink loop of drop-ins");
        check_refused(s, dir, "nfile", "nfile.unit.d", "not a directory (regular file)",
                      "not regular: a NAME.unit.d that is a file");
        check_refused(s, dir, "nfifo", "nfifo.unit.d", "not a directory (FIFO)",
                      "not regular: a NAME.unit.d that is a FIFO");

        b = unit_set_find_bridge(s, "br0");
        ok(b && b->load_state == UNIT_LOAD_ERROR && starts_with_path(b->load_error, dir, "br0.bridge",
                                                                      ": not a regular file (FIFO)"),
           "not regular: a FIFO as a bridge is a bridge in error");
        u = unit_set_find_unit(s, "onbr");
        ok(u && u->load_state == UNIT_LOAD_ERROR && u->load_error && strstr(u->load_error, "bridge \"br0\" has errors"),
           "not regular: ... and a unit on it says so");

        u = unit_set_find_unit(s, "good");
        ok(u && u->load_state == UNIT_LOADED, "not regular: a good unit next to them loads");

        alarm(10);
        check_verify(dir, "fifo.unit", "fifo.unit", "not a regular file (FIFO)", "not regular: verify of a FIFO unit");
        check_verify(dir, "dir.unit", "dir.unit", "not a regular file (directory)",
                     "not regular: verify of a directory named x.unit is of that file, not of a directory of units");
        check_verify(dir, "loop.unit", "loop.unit", "symlink loop (too many levels of symbolic links)",
                     "not regular: verify of a symlink loop");
        check_verify(dir, "dfifo.unit.d/10.conf", "dfifo.unit.d/10.conf", "not a regular file (FIFO)",
                     "not regular: verify of a FIFO drop-in alone");
        check_verify(dir, "dfifo.unit", "dfifo.unit.d/10.conf", "not a regular file (FIFO)",
                     "not regular: verify of a unit with a FIFO drop-in");
        alarm(0);
        if (s->n_diags == 0)
                dump_diags(s);
out:
        rm_rf(dir);
}

int main(void) {
        setvbuf(stdout, NULL, _IOLBF, 0);
        test_table();
        test_three_errors();
        test_odd_lines();
        test_dropins();
        test_cross_unit();
        test_good_next_to_broken();
        test_bad_file_name();
        test_not_regular();
        diag("%zu table rows, %u checks in them", ELEMENTSOF(rows), n_checks);
        return tap_done();
}
