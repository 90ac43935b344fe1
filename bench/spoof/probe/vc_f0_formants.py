#!/usr/bin/python3
"""Voice-changer probe (twenty-sixth session): per bona fide and voice-changer recording of KEY, the
median log F0 and its standard deviation (autocorrelation pitch of 40 ms Hann frames every 10 ms,
60-400 Hz, voiced when the normalised peak reaches 0.5), the medians of the log frequencies of the
first three LPC-10 formants (pre-emphasised voiced frames, poles with bandwidth under 400 Hz
between 150 and 3700 Hz), and the voiced share.
Usage (repository root): /usr/bin/python3 bench/spoof/probe/vc_f0_formants.py bench/out/spoof/key.tsv OUT.tsv
"""
import sys, wave, numpy as np, csv
from concurrent.futures import ProcessPoolExecutor
def read(p):
    import subprocess
    raw=subprocess.run(["sox",p,"-t","raw","-e","signed","-b","16","-r","8000","-c","1","-"],capture_output=True).stdout
    return np.frombuffer(raw,"<i2").astype(float)/32768
def lpc(fr,order=10):
    r=np.correlate(fr,fr,'full')[len(fr)-1:len(fr)+order].copy()
    r[0]*=1.0001
    from numpy.linalg import solve
    R=np.array([[r[abs(i-j)] for j in range(order)] for i in range(order)])
    try: a=solve(R,r[1:order+1])
    except Exception: return None
    return np.concatenate([[1],-a])
def feats(p):
    x=read(p); sr=8000; N=320; H=80
    if len(x)<N: return None
    fr=np.lib.stride_tricks.sliding_window_view(x,N)[::H]
    e=10*np.log10((fr**2).mean(1)+1e-10)
    keep=e>e.max()-30
    f0s=[];forms=[]
    win=np.hanning(N)
    for f,k in zip(fr,keep):
        if not k: continue
        f=f-f.mean()
        ac=np.correlate(f*win,f*win,'full')[N-1:]
        if ac[0]<=0: continue
        lo,hi=sr//400,sr//60
        ac=ac/ac[0]
        L=lo+np.argmax(ac[lo:hi])
        if ac[L]<0.5: continue
        f0s.append(sr/L)
        y=np.append(f[0],f[1:]-0.97*f[:-1])*win
        a=lpc(y,10)
        if a is None: continue
        rts=np.roots(a); rts=rts[np.imag(rts)>0]
        fq=np.angle(rts)*sr/(2*np.pi); bw=-np.log(np.abs(rts))*sr/np.pi
        fq=np.sort(fq[(bw<400)&(fq>150)&(fq<3700)])
        if len(fq)>=3: forms.append(fq[:3])
    if len(f0s)<10 or len(forms)<10: return None
    f0=np.log(np.array(f0s)); F=np.log(np.array(forms))
    return [np.median(f0), f0.std(), *np.median(F,0), len(f0s)/keep.sum()]
rows=[r for r in csv.DictReader(open(sys.argv[1]),delimiter='\t') if r['family'] in ('bonafide','voice-changer')]
with ProcessPoolExecutor(2) as ex:
    out=list(ex.map(feats,[r['path'] for r in rows],chunksize=16))
with open(sys.argv[2],'w') as o:
    for r,f in zip(rows,out):
        if f is None: continue
        o.write('\t'.join([r['id'],r['family'],r['split'],r['codec']]+['%.4f'%v for v in f])+'\n')
