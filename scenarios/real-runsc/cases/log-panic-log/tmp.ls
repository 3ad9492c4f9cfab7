afile
bundle
bundle2
bundle3
dbg
root
runsc.log
y.log
