/* stub: the do-nothing wrapper of bench/tcpd-compare. Like tcpd it is
   started with the daemon's path as argv[0] and execs it, but decides and
   logs nothing: the baseline cost of one extra exec. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	(void)argc;
	execv(argv[0], argv);
	perror("stub: execv");
	return 1;
}
